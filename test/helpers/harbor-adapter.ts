import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';

/*
 * A scanner adapter speaking Harbor's pluggable scanner API, for tests: the real adapters (Trivy's, vendors')
 * cannot be installed on this machine. It behaves as one does towards the registry: it pulls the manifest and
 * every blob with the Authorization it was handed and checks their digests, and only then answers with the
 * vulnerabilities the test gave it (the first poll answers 302 with Refresh-After, as a busy adapter does).
 */

export interface AdapterVulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  preferred_cvss?: { score_v3?: number; vector_v3?: string };
}

export interface ScanRequestSeen {
  contentType: string | undefined;
  registry: { url: string; authorization: string };
  artifact: { repository: string; digest: string; mime_type: string };
  /** What the registry answered when the adapter pulled with the given Authorization. */
  pulled: { manifest: number; blobs: number[]; otherRepository: number; push: number };
}

export interface TestAdapter {
  url: string;
  requests: ScanRequestSeen[];
  /** Findings to report, or an error the adapter fails the scan with. */
  answer: { vulnerabilities: AdapterVulnerability[] } | { error: string };
  close(): Promise<void>;
}

export async function startTestAdapter(opts: { credential?: string } = {}): Promise<TestAdapter> {
  const jobs = new Map<string, { polls: number; done: Promise<ScanRequestSeen['pulled']> }>();
  const state: TestAdapter = { url: '', requests: [], answer: { vulnerabilities: [] }, close: async () => undefined };
  const server = http.createServer((req, res) => {
    void (async () => {
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (opts.credential && req.headers.authorization !== opts.credential) return send(401, { error: { message: 'unauthorized' } });
      const url = new URL(req.url ?? '/', 'http://adapter');
      if (req.method === 'GET' && url.pathname === '/api/v1/metadata') {
        return send(200, {
          scanner: { name: 'TestScanner', vendor: 'Berth tests', version: '1.2.3' },
          capabilities: [{ consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json'], produces_mime_types: ['application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'] }],
        });
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/scan') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Omit<ScanRequestSeen, 'pulled' | 'contentType'>;
        const id = crypto.randomUUID();
        const seen: ScanRequestSeen = { ...body, contentType: req.headers['content-type'], pulled: { manifest: 0, blobs: [], otherRepository: 0, push: 0 } };
        state.requests.push(seen);
        jobs.set(id, { polls: 0, done: pull(seen).then(() => seen.pulled) });
        return send(202, { id });
      }
      const m = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        const job = jobs.get(m[1]!);
        if (!job) return send(404, { error: { message: 'no such scan' } });
        job.polls++;
        if (job.polls === 1) return send(302, undefined, { 'refresh-after': '1' });
        const pulled = await job.done;
        if ('error' in state.answer) return send(500, { error: { message: state.answer.error } });
        if (pulled.manifest !== 200 || pulled.blobs.some((s) => s !== 200)) return send(500, { error: { message: `could not pull the artifact: ${JSON.stringify(pulled)}` } });
        return send(200, { generated_at: new Date().toISOString(), scanner: { name: 'TestScanner', version: '1.2.3' }, severity: 'High', vulnerabilities: state.answer.vulnerabilities });
      }
      send(404, { error: { message: 'not found' } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** Pulls the artifact the way an adapter does, and tries what its token must not allow. */
async function pull(seen: ScanRequestSeen): Promise<void> {
  const base = seen.registry.url.replace(/\/$/, '');
  const auth = { authorization: seen.registry.authorization };
  const { repository, digest, mime_type } = seen.artifact;
  const res = await fetch(`${base}/v2/${repository}/manifests/${digest}`, { headers: { ...auth, accept: mime_type } });
  seen.pulled.manifest = res.status;
  if (res.status !== 200) return;
  const bytes = Buffer.from(await res.arrayBuffer());
  if (`sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}` !== digest) seen.pulled.manifest = -1;
  const manifest = JSON.parse(bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  for (const b of [manifest.config, ...manifest.layers]) {
    const blob = await fetch(`${base}/v2/${repository}/blobs/${b.digest}`, { headers: auth });
    const data = Buffer.from(await blob.arrayBuffer());
    seen.pulled.blobs.push(blob.status === 200 && `sha256:${crypto.createHash('sha256').update(data).digest('hex')}` === b.digest ? 200 : blob.status || -1);
  }
  seen.pulled.otherRepository = (await fetch(`${base}/v2/other/thing/manifests/latest`, { headers: auth })).status;
  seen.pulled.push = (await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: auth })).status;
}
