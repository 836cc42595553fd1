// The floor for bench:load: a bare Socket.IO server speaking the same `/chat` shape as frontdesk
// (a `session` event on connect, an ack per message, then a `reply` event to the conversation's
// room) with no validation, no database and no model. Prints `{"url": …}` once it listens.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';

const http = createServer();
// (bench:load waits for /socket.io/ to answer before loading it.)
const io = new Server(http, { maxHttpBufferSize: 16 * 1024 * 1024 });

io.of('/chat').on('connection', (socket) => {
  const conversationId = randomUUID();
  const room = `conversation:${conversationId}`;
  void socket.join(room);
  socket.emit('session', { visitorToken: 'echo', conversationId });
  socket.on('message', (payload: { clientId?: string; text?: string }, ack: unknown) => {
    const messageId = randomUUID();
    if (typeof ack === 'function') ack({ ok: true, messageId, conversationId, duplicate: false });
    setImmediate(() =>
      io.of('/chat').to(room).emit('reply', { messageId: randomUUID(), replyTo: messageId, conversationId, text: String(payload?.text ?? ''), source: 'echo', createdAt: new Date().toISOString() }),
    );
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, msg: 'echo server is serving' }));
});

const stop = () => io.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
