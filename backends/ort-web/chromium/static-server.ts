import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import type { ModelUrls } from './page-protocol.ts';

/** onnxruntime-web's browser bundles and their .wasm/.mjs companions. */
export const ORT_WEB_DIST = fileURLToPath(
  new URL('../../../node_modules/onnxruntime-web/dist', import.meta.url),
);
const PAGE_DIR = fileURLToPath(new URL('./page', import.meta.url));

/** Only these file names are served from ORT_WEB_DIST: the bundles and the wasm they load. */
const ORT_FILE = /^ort[\w.-]*\.(?:mjs|wasm)$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Cross-origin isolation: without both headers `crossOriginIsolated` is false, SharedArrayBuffer
 * is missing and onnxruntime-web silently drops to one wasm thread.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cache-Control': 'no-store',
};

/** The graph and the external-data files it reads: exactly what the page may fetch of a model dir. */
export type ServedModel = Pick<ModelDir, 'onnxPath' | 'externalData'>;

export interface StaticServer {
  /** `http://127.0.0.1:PORT/<secret>/`: the page; everything is served under it, and only there. */
  readonly pageUrl: string;
  /** Empty when no model is served (the adapter probe). */
  readonly model: ModelUrls | undefined;
  close(): Promise<void>;
}

/** The URL path (under the secret) of each served model file: the graph, then its external data. */
function modelRoutes(model: ServedModel): Map<string, string> {
  const url = (location: string) => `/model/${location.split('/').map(encodeURIComponent).join('/')}`;
  return new Map([
    [url(path.basename(model.onnxPath)), model.onnxPath],
    ...model.externalData.map((file) => [url(file.location), file.path] as const),
  ]);
}

/**
 * A file server on 127.0.0.1 and a free port, for one browser: the page, onnxruntime-web's dist
 * files and one model's graph and external-data files under model/ (none for the adapter probe),
 * all under a per-run secret
 * path. Nothing else on disk is reachable through it. Any other local process, or a DNS-rebinding
 * page in a desktop browser (whose requests carry its own host name), gets 403: it knows neither
 * the secret nor, for rebinding, the right Host.
 */
export async function startStaticServer(model?: ServedModel): Promise<StaticServer> {
  const routes = model ? modelRoutes(model) : new Map<string, string>();
  const secret = randomBytes(16).toString('hex');
  let host = '';
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const prefix = `/${secret}/`;
    if (request.headers.host !== host || !pathname.startsWith(prefix)) {
      response.writeHead(403, ISOLATION_HEADERS).end();
      return;
    }
    const file = resolveFile(pathname.slice(prefix.length - 1), routes);
    if (!file || request.method !== 'GET') {
      response.writeHead(404, ISOLATION_HEADERS).end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('open', () => {
      const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
      response.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': type });
      stream.pipe(response);
    });
    stream.on('error', () => response.writeHead(404, ISOLATION_HEADERS).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  const [graphUrl, ...dataUrls] = [...routes.keys()].map((route) => route.slice(1));
  return {
    pageUrl: `http://${host}/${secret}/`,
    model:
      model && graphUrl !== undefined
        ? {
            graph: graphUrl,
            externalData: model.externalData.map((file, i) => ({ path: file.location, data: dataUrls[i]! })),
          }
        : undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function resolveFile(pathname: string, routes: ReadonlyMap<string, string>): string | undefined {
  if (pathname === '/') return path.join(PAGE_DIR, 'index.html');
  if (pathname === '/ort-page.js') return path.join(PAGE_DIR, 'ort-page.js');
  const modelFile = routes.get(pathname);
  if (modelFile !== undefined) return modelFile;
  const ortName = pathname.startsWith('/ort/') ? pathname.slice('/ort/'.length) : '';
  return ORT_FILE.test(ortName) ? path.join(ORT_WEB_DIST, ortName) : undefined;
}
