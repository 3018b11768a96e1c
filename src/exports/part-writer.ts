/**
 * Bytes in, R2 multipart parts out. R2 wants every part but the last at least 5 MiB and all of
 * the same size, so the writer fills one fixed-size buffer and uploads it each time it is full:
 * whatever the size of the file, one part is all it holds in memory.
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export class PartWriter {
  private buffer: Uint8Array;
  private filled = 0;
  private readonly parts: R2UploadedPart[] = [];

  constructor(
    private readonly upload: R2MultipartUpload,
    private readonly partBytes = MIN_PART_BYTES,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new Error(`A part must be at least ${MIN_PART_BYTES} bytes (R2)`);
    this.buffer = new Uint8Array(partBytes);
  }

  get partsUploaded(): number {
    return this.parts.length;
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
    if (this.filled > 0 || this.parts.length === 0) await this.flush();
    return this.upload.complete(this.parts);
  }

  private async flush(): Promise<void> {
    const part = await this.upload.uploadPart(this.parts.length + 1, this.buffer.subarray(0, this.filled));
    this.parts.push(part);
    this.filled = 0;
    // The binding may take the buffer over; start the next part on a fresh one if it did.
    if (this.buffer.byteLength === 0) this.buffer = new Uint8Array(this.partBytes);
  }
}
