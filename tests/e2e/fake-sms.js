// A fake SMS provider for the end-to-end tests: an HTTP server on the
// loopback that records what the server's gateway client (`--sms-url`,
// `partners::sms::HttpSms`) POSTs with the default template
// `{"to":"{to}","text":"{text}"}`. No dependencies.
//
//   const sms = await startFakeSms();
//   // start the server with --sms-url sms.url (plain HTTP is accepted on the loopback)
//   const code = sms.lastCodeFor('06 12 34 56 78');
//   await sms.close();
import { createServer } from 'node:http';

/** `06 12 34 56 78`, `0612345678` or `+33612345678` → `+33612345678`. */
function normalise(phone) {
  const compact = String(phone).replace(/[\s.-]/g, '');
  return compact.startsWith('0') ? `+33${compact.slice(1)}` : compact;
}

/**
 * Starts the provider on a free port.
 * @param {{ status?: number }} [options] the HTTP status it answers (200 by default).
 * @returns {Promise<{ url: string, messages: { to: string, text: string, headers: object }[],
 *   lastCodeFor: (phone: string) => string | undefined, setStatus: (status: number) => void,
 *   close: () => Promise<void> }>}
 */
export async function startFakeSms({ status = 200 } = {}) {
  const messages = [];
  let answer = status;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let to = '';
      let text = '';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        to = String(body.to ?? '');
        text = String(body.text ?? '');
      } catch {
        // Not the default JSON body: recorded without its fields.
      }
      messages.push({ to, text, headers: { ...req.headers } });
      res.writeHead(answer, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ id: `msg-${messages.length}` }));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/send`,
    messages,
    /** The six-digit code of the last SMS to `phone`, if any. */
    lastCodeFor(phone) {
      const to = normalise(phone);
      for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i].to === to) {
          const m = /\b(\d{6})\b/.exec(messages[i].text);
          if (m) return m[1];
        }
      }
      return undefined;
    },
    /** Answers `status` from now on (e.g. 500 to test a failing gateway). */
    setStatus(next) {
      answer = next;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
