/**
 * Boot files over HTTP: every path no other route claims is looked up in the same content chain TFTP
 * uses (generated pxelinux.cfg/…, grub.cfg…, iPXE scripts first, then static files under the TFTP root),
 * with GET, HEAD and single byte ranges. This is what lpxelinux.0, iPXE and GRUB's http module fetch:
 * kernels and initrds are far faster over HTTP than over TFTP.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseContentPath } from '../../content/path.js';
import type { Content, ContentHandler } from '../../content/types.js';
import type { TransferProgressSink } from '../../timeline/active-transfers.js';
import { ApiError } from '../errors.js';
import { decideRange } from '../range.js';
import { isServicePath } from '../service-paths.js';
import { BufferPool } from '../../content/buffer-pool.js';
import { RESPONSE_CHUNK_BYTES, ResponseChunks } from '../response-chunks.js';

/** Chunk buffers of ended responses kept for the next ones: 32 chunks of 128 KiB. */
const CHUNK_POOL_IDLE_BYTES = 4 * 1024 * 1024;

const TEXT_TYPES: Record<string, string> = { ipxe: 'text/plain', cfg: 'text/plain', txt: 'text/plain', conf: 'text/plain', json: 'application/json' };

/** A content type from the name: generated text and a few text suffixes, binary otherwise. */
function contentType(path: string, content: Content): string {
  const suffix = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  if (suffix && TEXT_TYPES[suffix]) return `${TEXT_TYPES[suffix]}; charset=utf-8`;
  if (content.source === 'generated' || path.startsWith('pxelinux.cfg/') || /(^|\/)grub\.cfg/.test(path)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** Where a stream reports its bytes so far (one report per chunk) and its end. */
interface StreamProgress {
  sink: TransferProgressSink;
  id: string;
}

/**
 * Streams bytes `start..end` (inclusive) of `content`, closing it at the end or on abort. File content is
 * read chunk by chunk into `chunks` (buffers reused once the socket has taken their bytes); content
 * without `readInto` (generated text) is pushed as `read` returns it. The stream keeps no read-ahead of
 * its own (`highWaterMark` 0): it reads the next chunk when the response takes more, so a response
 * whose client is slow holds one chunk, not a queue of them, and the kernel's send buffer keeps the
 * wire busy while the next chunk is read. The stream must be piped straight into the response, as
 * `reply.send(stream)` does with no `onSend` hook in between: a transform there would hold chunk bytes
 * that the response's `writableLength` does not count, and a buffer could be reused under them.
 */
function contentStream(content: Content, start: number, end: number, progress: StreamProgress | null, chunks: ResponseChunks): Readable {
  let position = start;
  /** The next chunk, and the pooled buffer it was read into (none for content without `readInto`). */
  const readChunk = async (stream: Readable, length: number): Promise<{ chunk: Buffer; buffer?: Buffer }> => {
    if (!content.readInto) return { chunk: await content.read(position, length) };
    const buffer = chunks.take(position - start, stream.readableLength);
    try {
      const n = await content.readInto([buffer.subarray(0, length)], position);
      return { chunk: buffer.subarray(0, n), buffer };
    } catch (error) {
      chunks.abandon(buffer);
      throw error;
    }
  };
  return new Readable({
    highWaterMark: 0,
    async read() {
      try {
        if (position > end) {
          this.push(null);
          return;
        }
        const { chunk, buffer } = await readChunk(this, Math.min(RESPONSE_CHUNK_BYTES, end - position + 1));
        if (chunk.length === 0) {
          if (buffer) chunks.abandon(buffer);
          this.push(null);
          return;
        }
        position += chunk.length;
        progress?.sink.progress(progress.id, position - start);
        if (buffer) chunks.pushed(buffer, position - start);
        this.push(chunk);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      if (progress) progress.sink.end(progress.id);
      content.close().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}

function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/**
 * Registers the catch-all GET/HEAD file route. With `active`, every response body that is streamed is
 * listed there while it runs, with the bytes handed to the socket so far. Response bodies are read into
 * chunk buffers from `pool` (one of the route's own unless given) and given back to it.
 */
export function registerFileRoutes(
  app: FastifyInstance,
  content: ContentHandler,
  active?: TransferProgressSink,
  pool: BufferPool = new BufferPool(CHUNK_POOL_IDLE_BYTES),
): void {
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.raw.url ?? '/';
    if (isServicePath(url)) throw new ApiError('not-found', `no route for ${request.method} ${url.split('?')[0]}`);
    const rawPath = url.split('?')[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      throw new ApiError('bad-request', 'malformed percent-encoding in the path');
    }
    const path = normaliseContentPath(decoded);
    const found = await content({
      path,
      rawPath: decoded,
      protocol: 'http',
      clientIp: plainAddress(request.socket.remoteAddress),
      clientPort: request.socket.remotePort ?? 0,
      serverIp: plainAddress(request.socket.localAddress),
    });
    if (found === null) throw new ApiError('not-found', `no file ${path}`);
    const decision = decideRange(request.headers.range, found.size);
    void reply.header('accept-ranges', 'bytes').type(contentType(path, found));
    if (decision.kind === 'unsatisfiable') {
      await found.close();
      void reply.header('content-range', `bytes */${found.size}`);
      throw new ApiError('range-not-satisfiable', `range ${request.headers.range} is outside the file (${found.size} bytes)`);
    }
    const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, found.size - 1];
    if (decision.kind === 'partial') void reply.status(206).header('content-range', `bytes ${start}-${end}/${found.size}`);
    void reply.header('content-length', String(end - start + 1));
    if (request.method === 'HEAD' || found.size === 0) {
      await found.close();
      return reply.send();
    }
    const id = active?.begin({ via: 'http', file: rawPath, ip: plainAddress(request.socket.remoteAddress), port: request.socket.remotePort ?? 0, size: end - start + 1 }) ?? null;
    const chunks = new ResponseChunks(pool, reply.raw);
    reply.raw.once('close', () => chunks.close());
    return reply.send(contentStream(found, start, end, id === null ? null : { sink: active!, id }, chunks));
  };
  app.route({ method: ['GET', 'HEAD'], url: '/*', exposeHeadRoute: false, schema: { hide: true }, handler: serve });
}
