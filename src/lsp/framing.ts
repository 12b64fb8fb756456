// A guard in front of the protocol library's reader. The library buffers a whole message before
// parsing it and trusts the Content-Length header, and a header block without one makes it report
// an error and stop reading; either way a hostile or broken client could exhaust memory or leave
// the server deaf. The guard passes well-framed messages through unchanged, discards (streaming,
// without buffering) the body of a message longer than MAX_MESSAGE_BYTES, and skips junk between
// messages until the next header block that has a Content-Length.
import { Transform, type TransformCallback } from 'node:stream';

/** The largest message accepted: a 4 MB document with JSON escaping fits comfortably. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** A header block longer than this is junk (real ones are under 100 bytes). */
const MAX_HEADER_BYTES = 8 * 1024;

const SEPARATOR = Buffer.from('\r\n\r\n');

export interface FramingEvents {
  /** A message was dropped: why, for the server's log. */
  onDropped?: (reason: string) => void;
}

export class FramingGuard extends Transform {
  /** Bytes of the current header block (or junk) not yet decided on. */
  private pending: Buffer = Buffer.alloc(0);
  /** Body bytes still to pass through (> 0) or to discard (< 0). */
  private body = 0;

  constructor(private readonly events: FramingEvents = {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.body !== 0) {
        const n = Math.min(Math.abs(this.body), data.length);
        if (this.body > 0) {
          this.push(data.subarray(0, n));
          this.body -= n;
        } else this.body += n;
        data = data.subarray(n);
        continue;
      }
      // Every path below either stops (break) or goes on with the bytes after the header (`rest`).
      this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
      const end = this.pending.indexOf(SEPARATOR);
      if (end < 0) {
        if (this.pending.length > MAX_HEADER_BYTES) {
          this.events.onDropped?.(`a header block longer than ${MAX_HEADER_BYTES} bytes`);
          // Keep the tail: a real header may have started in it.
          this.pending = this.pending.subarray(this.pending.length - SEPARATOR.length);
        }
        break;
      }
      const header = this.pending.subarray(0, end).toString('ascii');
      const rest = this.pending.subarray(end + SEPARATOR.length);
      this.pending = Buffer.alloc(0);
      const m = /(?:^|\r\n)content-length:[ \t]*(\d{1,12})[ \t]*(?:\r\n|$)/i.exec(header);
      if (!m) {
        this.events.onDropped?.('a header block without a Content-Length');
        data = rest;
        continue;
      }
      const length = Number(m[1]);
      if (length > MAX_MESSAGE_BYTES) {
        this.events.onDropped?.(`a message of ${length} bytes (the limit is ${MAX_MESSAGE_BYTES})`);
        this.body = -length;
      } else {
        // Only the Content-Length header is passed on: the library needs nothing else.
        this.push(Buffer.from(`Content-Length: ${length}\r\n\r\n`, 'ascii'));
        this.body = length;
        if (length === 0) this.body = 0;
      }
      data = rest;
    }
    done();
  }
}
