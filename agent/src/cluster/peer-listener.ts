import { createServer, type Server } from 'node:net';

/**
 * Listens on the worker's socket in its group's directory. A peer that connects gets the
 * worker's snapshot (from `answer`, at the time of asking) and the connection is closed;
 * it sends nothing. Neither the listener nor a connection keeps the process alive, and a
 * fault costs the asking peer its answer, never the worker.
 */
export function listenForPeers(path: string, answer: () => Promise<string>, onError: (err: Error) => void): Server {
  const server = createServer({ allowHalfOpen: false }, function twinklePeerConnection(socket) {
    socket.unref();
    socket.on('error', () => socket.destroy());
    answer().then(
      (text) => socket.end(text),
      () => socket.destroy(),
    );
  });
  server.on('error', onError);
  // exclusive: a cluster worker listens itself; through the primary, the app's own
  // `worker.on('listening')` (and pm2's online check) would see the agent's socket.
  server.listen({ path, exclusive: true });
  server.unref();
  return server;
}
