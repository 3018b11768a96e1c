/**
 * The browser's language, as Intl accepts it. A Chromium started under LANG=C.UTF-8 reports
 * navigator.language "en-US@posix", which Intl rejects with a RangeError; uPlot makes an
 * Intl.NumberFormat from navigator.language as it loads, and that one throw left the whole
 * dashboard blank. chart.ts imports this module before uPlot: where the browser's tag is refused,
 * navigator.language is shadowed by the first usable one of its languages, else "en-US".
 */

/** The first of the tags that Intl accepts, or undefined (then Intl uses its own default). */
export function usableLocale(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    try {
      if (Intl.DateTimeFormat.supportedLocalesOf(tag).length > 0) return tag;
    } catch {
      // A tag Intl rejects: try the next one.
    }
  }
  return undefined;
}

/** The browser's languages, most preferred first. */
export const browserLanguages = (): readonly string[] =>
  typeof navigator === "undefined" ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];

if (typeof navigator !== "undefined" && usableLocale([navigator.language]) === undefined) {
  try {
    Object.defineProperty(navigator, "language", { value: usableLocale(browserLanguages()) ?? "en-US", configurable: true });
  } catch {
    // A browser that will not let it be shadowed: uPlot's own load then fails on its own screen.
  }
}
