/**
 * Received bytes not yet consumed, kept as the chunks the socket delivered: a message that spans
 * many chunks is copied once, when it is taken whole, not on every arrival.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The first `count` bytes, without consuming them; requires `count <= length`. */
  peek(count: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined || first.length >= count) return (first ?? Buffer.alloc(0)).subarray(0, count);
    let spanned = 0;
    for (let covered = 0; covered < count; spanned++) covered += (this.chunks[spanned] as Buffer).length;
    const merged = Buffer.concat(this.chunks.slice(0, spanned));
    this.chunks.splice(0, spanned, merged);
    return merged.subarray(0, count);
  }

  /** Removes and returns the first `count` bytes; requires `count <= length`. */
  take(count: number): Buffer {
    const taken = this.peek(count);
    const first = this.chunks[0] as Buffer;
    if (first.length === count) this.chunks.shift();
    else this.chunks[0] = first.subarray(count);
    this.total -= count;
    return taken;
  }

  clear(): void {
    this.chunks = [];
    this.total = 0;
  }
}
