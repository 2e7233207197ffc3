// Reading Server-Sent Events (HTML Living Standard, "event streams") from a fetch response body:
// the fields this CLI needs (id, event, data), comments skipped; LF or CRLF line endings.

export interface StreamMessage {
  id?: string;
  /** `message` when the server names none. */
  event: string;
  data: string;
}

/** Messages in the order they arrive, until the body ends. */
export async function* readEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let m: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (m.data.length > 0) yield { ...(m.id === undefined ? {} : { id: m.id }), event: m.event ?? 'message', data: m.data.join('\n') };
        m = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') m.data.push(value);
      else if (field === 'event') m.event = value;
      else if (field === 'id') m.id = value;
    }
  }
}
