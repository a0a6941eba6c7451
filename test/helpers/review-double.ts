// A test double of the apiserver's review endpoints, speaking the real authentication.k8s.io/v1
// TokenReview and authorization.k8s.io/v1 SubjectAccessReview shapes, with the decision made by a
// function the test gives and every review recorded. (SubjectAccessReview is served by the apiserver
// once RBAC is in; the double lets secure serving be tested on its own.)
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../lib/client/client';

export interface SarSpec {
  user: string;
  groups?: string[];
  uid?: string;
  resourceAttributes?: { namespace?: string; verb: string; group?: string; version?: string; resource: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path: string; verb: string };
}

export interface ReviewDouble {
  client: KubeClient;
  tokenReviews: string[];
  accessReviews: SarSpec[];
  close(): Promise<void>;
}

export async function startReviewDouble(o: {
  tokens?: Record<string, { username: string; groups?: string[]; uid?: string }>;
  allow: (spec: SarSpec) => boolean;
}): Promise<ReviewDouble> {
  const tokenReviews: string[] = [];
  const accessReviews: SarSpec[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as { spec?: Record<string, unknown> };
      let answer: unknown;
      if (req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/tokenreviews') {
        const token = String(body.spec?.token ?? '');
        tokenReviews.push(token);
        const user = o.tokens?.[token];
        answer = { ...body, status: user ? { authenticated: true, user: { ...user, groups: [...(user.groups ?? []), 'system:authenticated'] } } : { user: {} } };
      } else if (req.method === 'POST' && req.url === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
        const spec = body.spec as unknown as SarSpec;
        accessReviews.push(spec);
        const allowed = o.allow(spec);
        answer = { ...body, status: { allowed, ...(allowed ? {} : { reason: 'the double says no' }) } };
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":404,"reason":"NotFound"}');
        return;
      }
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = KubeClient.forServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    client,
    tokenReviews,
    accessReviews,
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
