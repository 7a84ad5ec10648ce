/**
 * Content served to boot clients, shared by TFTP and HTTP: a handler chain maps a requested path to
 * something with a known size that can be read at any offset (TFTP needs the size for `tsize` before the
 * first block; HTTP needs it for Range).
 */

/** A readable piece of content with a size known up front. */
export interface Content {
  /** Size in bytes. */
  readonly size: number;
  /** Where it came from, for logs and events. */
  readonly source: 'generated' | 'file';
  /** Reads up to `length` bytes at `position`; returns fewer only at the end. */
  read(position: number, length: number): Promise<Buffer>;
  /**
   * Optional scatter read for hot paths: fills `targets` in order with bytes from `position` and
   * resolves with the number of bytes read (fewer only at the end). Saves an allocation and a copy per
   * block; callers fall back to `read` when it is absent (see `readContentInto`).
   */
  readInto?(targets: readonly Buffer[], position: number): Promise<number>;
  /**
   * Optional synchronous scatter read, for content held in memory: the bytes read (fewer only at the
   * end). Never waits.
   */
  readIntoSync?(targets: readonly Buffer[], position: number): number;
  /** Releases the file descriptor (no-op for generated content). Idempotent. */
  close(): Promise<void>;
}

/**
 * Content read from an open file. The descriptor is there for a reader that can do better than `read`
 * (a transfer engine reading the page cache without waiting); it stays valid until `close`.
 */
export interface FileContent extends Content {
  readonly source: 'file';
  readonly fd: number;
}

/** Whether `content` is file-backed (and carries its descriptor). */
export function isFileContent(content: Content): content is FileContent {
  return content.source === 'file' && typeof (content as Partial<FileContent>).fd === 'number';
}

/** Who asks for a path, and how. */
export interface ContentRequest {
  /** The path after normalisation (no leading `/`, `/` separators, no `..`). */
  path: string;
  /** The path exactly as the client sent it. */
  rawPath: string;
  protocol: 'tftp' | 'http';
  /** The client's source address (for pypxeboot this is dom0's, not the domU's: do not key on it alone). */
  clientIp: string;
  clientPort: number;
  /** The server address the request was sent to. */
  serverIp: string;
}

/** Returns content for a request, or `null` when this handler has nothing for the path. */
export type ContentHandler = (request: ContentRequest) => Promise<Content | null>;

/**
 * Thrown by a handler (or path normalisation) to refuse a request outright (TFTP ERROR 2, HTTP 403).
 * `message` is for the log; `clientMessage`, when given, is what the client is told (the TFTP ERROR
 * text), so a boot client's console shows why (a lint refusal, say); without it TFTP says "access violation".
 */
export class ContentDenied extends Error {
  readonly clientMessage: string | undefined;

  constructor(message: string, options: { clientMessage?: string } = {}) {
    super(message);
    this.name = 'ContentDenied';
    this.clientMessage = options.clientMessage;
  }
}

/** Content held in memory (rendered configs and scripts). */
export function bufferContent(data: Buffer | string): Content {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return {
    size: buffer.length,
    source: 'generated',
    async read(position, length) {
      return buffer.subarray(position, Math.min(buffer.length, position + length));
    },
    async readInto(targets, position) {
      return copyInto(buffer.subarray(Math.min(buffer.length, position)), targets);
    },
    readIntoSync(targets, position) {
      return copyInto(buffer.subarray(Math.min(buffer.length, position)), targets);
    },
    async close() {},
  };
}

/** Copies `source` into consecutive `targets`; returns the bytes copied. */
function copyInto(source: Buffer, targets: readonly Buffer[]): number {
  let copied = 0;
  for (const target of targets) {
    if (copied >= source.length) break;
    copied += source.copy(target, 0, copied);
  }
  return copied;
}

/** Scatter-reads `content` into `targets` from `position`, with `readInto` when the content has it. */
export async function readContentInto(content: Content, targets: readonly Buffer[], position: number): Promise<number> {
  if (content.readInto) return content.readInto(targets, position);
  const total = targets.reduce((sum, t) => sum + t.length, 0);
  return copyInto(await content.read(position, total), targets);
}
