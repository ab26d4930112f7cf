import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP server on 127.0.0.1 in front of a real registry, for the proxy cache's bad-upstream tests. In
 * `pass` mode it forwards every request unchanged; the other modes misbehave the way broken or hostile
 * upstreams do. Every request is counted (`hits`), so tests can tell whether Berth contacted it at all.
 */
export type FaultMode =
  | 'pass'
  /** accept the connection and never answer */
  | 'hang'
  /** blob bodies with one byte changed (same length) */
  | 'wrong-bytes'
  /** half the blob body, then the connection is cut (Content-Length announced the whole) */
  | 'truncate'
  /** the blob body plus extra bytes, with the longer length announced */
  | 'wrong-size'
  /** blob bodies without Content-Length (chunked) that never end (the helper stops at 256 MiB) */
  | 'endless'
  /** blob bodies without Content-Length: the blob plus extra bytes, cleanly terminated */
  | 'longer-chunked'
  /** blob bodies without Content-Length: half the blob, cleanly terminated */
  | 'shorter-chunked'
  /** manifests answered with a 5 MiB JSON document */
  | 'huge-manifest'
  /** every request answered 503 with Retry-After */
  | 'unavailable';

export interface FaultyUpstream {
  url: string;
  mode: FaultMode;
  hits: { method: string; path: string }[];
  /** Blob body bytes written in the misbehaving modes (how much Berth let itself be sent). */
  sent: number;
  close(): Promise<void>;
}

export async function startFaultyUpstream(target: string): Promise<FaultyUpstream> {
  const t = new URL(target);
  const state: FaultyUpstream = { url: '', mode: 'pass', hits: [], sent: 0, close: async () => undefined };
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    state.hits.push({ method: req.method ?? '', path: req.url ?? '' });
    const mode = state.mode;
    if (mode === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (mode === 'unavailable') {
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}');
      return;
    }
    const isBlob = /\/blobs\/sha256:/.test(req.url ?? '') && req.method === 'GET';
    const isManifest = /\/manifests\//.test(req.url ?? '');
    if (mode === 'huge-manifest' && isManifest) {
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', padding: 'x'.repeat(5 * 1024 * 1024) }));
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (ur) => {
        if (!isBlob || mode === 'pass' || (ur.statusCode ?? 0) !== 200) {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          const headers = { ...ur.headers };
          if (mode === 'wrong-bytes') {
            body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
            res.writeHead(200, headers);
            res.end(body);
          } else if (mode === 'truncate') {
            res.writeHead(200, headers);
            res.write(body.subarray(0, body.length >> 1), () => res.destroy());
          } else if (mode === 'endless') {
            delete headers['content-length'];
            res.writeHead(200, headers);
            const chunk = Buffer.alloc(64 * 1024, 0x5a);
            const more = (): void => {
              while (!res.destroyed && state.sent < 256 * 1024 * 1024) {
                state.sent += chunk.length;
                if (!res.write(chunk)) return void res.once('drain', more);
              }
              res.end();
            };
            more();
          } else if (mode === 'longer-chunked' || mode === 'shorter-chunked') {
            delete headers['content-length'];
            res.writeHead(200, headers);
            const out = mode === 'longer-chunked' ? Buffer.concat([body, Buffer.alloc(64 * 1024, 1)]) : body.subarray(0, body.length >> 1);
            state.sent += out.length;
            res.end(out);
          } else if (mode === 'wrong-size') {
            const longer = Buffer.concat([body, Buffer.from('trailing garbage')]);
            headers['content-length'] = String(longer.length);
            res.writeHead(200, headers);
            res.end(longer);
          }
        });
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
