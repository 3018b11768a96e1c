/**
 * Tells the webhook's head that this partition's totals moved (head.noteActivity arms its
 * summary refresh, which writes the list's success rate and last triggered to D1). At most once
 * per NOTE_EVERY_MS: a busy partition records many times a second and the head needs one word
 * per refresh, not one per batch. Activity inside the quiet time is told when it ends (a
 * trailing call), so the last batch before a lull is not left out of the summary. Off the
 * record() path: the write is committed before the head is told, and a failed word only delays
 * the summary until the next one.
 */
const NOTE_EVERY_MS = 2_000;

export class ActivityNote {
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly send: () => Promise<void>) {}

  poke() {
    if (this.timer) return;
    const wait = this.last + NOTE_EVERY_MS - Date.now();
    if (wait <= 0) return this.fire();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, wait);
  }

  private fire() {
    this.last = Date.now();
    this.send().catch((err: unknown) =>
      console.error(JSON.stringify({ level: "warn", msg: "could not tell the head of new activity; its summary waits for the next", error: String(err) })),
    );
  }
}
