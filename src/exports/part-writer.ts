/**
 * Bytes in, R2 multipart parts out. R2 wants every part but the last at least 5 MiB and all of
 * the same size, so the writer fills one fixed-size buffer and uploads it each time it is full:
 * whatever the size of the file, one part is all it holds in memory.
 *
 * A writer can go on from a checkpoint: the parts already uploaded, and the bytes begun for the
 * next one. The next part's number follows from the parts, so a try that repeats a part (its
 * checkpoint was never saved) uploads the same number again, and R2 keeps the later upload.
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export class PartWriter {
  private buffer: Uint8Array;
  private filled = 0;
  private readonly uploaded: R2UploadedPart[];

  constructor(
    private readonly upload: R2MultipartUpload,
    from: { parts: readonly R2UploadedPart[]; tail: Uint8Array } = { parts: [], tail: new Uint8Array(0) },
    private readonly partBytes = MIN_PART_BYTES,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new Error(`A part must be at least ${MIN_PART_BYTES} bytes (R2)`);
    if (from.tail.length >= partBytes) throw new Error("A checkpoint's tail is less than a part");
    this.buffer = new Uint8Array(partBytes);
    this.uploaded = [...from.parts];
    this.buffer.set(from.tail);
    this.filled = from.tail.length;
  }

  get parts(): readonly R2UploadedPart[] {
    return this.uploaded;
  }

  /** The bytes of the part being filled; at a part boundary, what a checkpoint carries over. */
  pending(): Uint8Array {
    return this.buffer.slice(0, this.filled);
  }

  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(bytes.length - offset, this.partBytes - this.filled);
      this.buffer.set(bytes.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.partBytes) await this.flush();
    }
  }

  /** Uploads what is left as the last part and completes the object. */
  async complete(): Promise<R2Object> {
    if (this.filled > 0 || this.uploaded.length === 0) await this.flush();
    return this.upload.complete(this.uploaded);
  }

  private async flush(): Promise<void> {
    const part = await this.upload.uploadPart(this.uploaded.length + 1, this.buffer.subarray(0, this.filled));
    this.uploaded.push({ partNumber: part.partNumber, etag: part.etag });
    this.filled = 0;
    // The binding may take the buffer over; start the next part on a fresh one if it did.
    if (this.buffer.byteLength === 0) this.buffer = new Uint8Array(this.partBytes);
  }
}
