/**
 * The address a request comes from, for limits that count per client (login throttling). A request
 * relayed by a reverse proxy on this machine (the connection comes from a loopback address) is counted
 * by the first X-Forwarded-For address, which the documented nginx setup sets to the real peer; any
 * other request by its connection's address — a client cannot choose it by sending the header.
 */
import type { FastifyRequest } from "fastify";

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export function clientAddress(request: Pick<FastifyRequest, "headers" | "socket">): string {
  const peer = request.socket.remoteAddress ?? "";
  if (!LOOPBACK.test(peer)) return peer;
  const header = request.headers["x-forwarded-for"];
  const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim();
  return first || peer;
}
