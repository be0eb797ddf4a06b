// The OTLP/HTTP receiver of the traced benchmark scenario: reads each export, answers
// 200 with an empty ExportTraceServiceResponse, counts what it got.
import { createServer } from 'node:http';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    requests++;
    res.statusCode = 200;
    res.setHeader('content-type', req.headers['content-type'] ?? 'application/x-protobuf');
    res.end(String(req.headers['content-type']).includes('json') ? '{}' : '');
  });
});
server.listen(Number(process.env.PORT ?? 4318), '127.0.0.1', () => process.stderr.write('sink ready\n'));
process.on('SIGTERM', () => {
  process.stderr.write(`sink: ${requests} exports, ${(bytes / 1048576).toFixed(1)} MB\n`);
  process.exit(0);
});
