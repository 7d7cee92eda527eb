/**
 * Answers sent before the request body was read to its end — an upload whose form field is over the
 * limit, a file over the size limit, a full disk, a refused token on a big POST — must reach every
 * client, and must not keep the connection (or a shutdown) waiting.
 *
 * Why: a multipart body is piped into the parser; when a handler stops reading early, nobody reads the
 * socket any more. curl reads the answer while it sends and sees it at once, but Python `requests`
 * (BHTOM's clients) sends the whole body before it reads anything: with the socket no longer read, its
 * send blocks until its timeout, and the open connection keeps `server.close()` waiting.
 *
 * So such an answer says `Connection: close`, the rest of the body is read and thrown away, and the
 * connection is closed once the client has sent it all (a "lingering close", as Apache and nginx do:
 * closing a socket with unread data makes the kernel send a reset, which may destroy the answer in the
 * client's buffer before it is read). A client that keeps sending for longer than `lingerMs` is cut
 * off; on shutdown, such connections are closed at once.
 */
import { Socket } from "node:net";
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";

export interface DrainOptions {
  /** How long the rest of a body is read after an early answer before the connection is cut, ms. */
  lingerMs?: number;
}

/** Sockets reading the rest of a body after an early answer. */
type Lingering = Set<Socket>;

function discardRest(raw: IncomingMessage, lingering: Lingering, lingerMs: number): void {
  const socket = raw.socket;
  if (!(socket instanceof Socket) || lingering.has(socket)) return;
  lingering.add(socket);
  raw.unpipe(); // from the multipart parser, which stopped reading
  raw.resume(); // read the rest, discarding it
  const cutOff = setTimeout(() => socket.destroy(), lingerMs);
  cutOff.unref();
  socket.once("close", () => {
    clearTimeout(cutOff);
    lingering.delete(socket);
  });
  // Node ends a `Connection: close` answer with socket.destroySoon(): half-close our side once the
  // answer is written, but destroy the socket only when the client has sent the whole body.
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    if (raw.complete || raw.destroyed) this.destroy();
    else {
      raw.once("end", () => this.destroy());
      raw.once("error", () => this.destroy());
    }
  };
}

export function installEarlyAnswerDrain(app: FastifyInstance, opts: DrainOptions = {}): void {
  const lingerMs = opts.lingerMs ?? 15_000;
  const lingering: Lingering = new Set();
  app.addHook("onSend", async (request, reply, payload) => {
    const raw = request.raw;
    // `complete` is false while the client still sends the body (undefined under inject()).
    if (raw.complete !== false || raw.destroyed) return payload;
    reply.header("connection", "close");
    discardRest(raw, lingering, lingerMs);
    return payload;
  });
  // Shutdown does not wait for clients still sending a body nobody will read.
  app.addHook("preClose", (done) => {
    for (const socket of lingering) socket.destroy();
    done();
  });
}
