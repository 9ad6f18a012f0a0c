// WebSocket-over-HTTP backend on the real GRIP libraries: accepts, subscribes the connection to
// the channel in the path, echoes, and publishes through Pushpin's publish API on request.
// Usage: node app.js <port> <publish base url, e.g. http://127.0.0.1:5561/>
const express = require('express');
const { ServeGrip } = require('@fanoutio/serve-grip');
const { WebSocketMessageFormat } = require('@fanoutio/grip');

const port = parseInt(process.argv[2], 10);
const controlUri = process.argv[3];
const serveGrip = new ServeGrip({ grip: { control_uri: controlUri } });
const app = express();
app.use(serveGrip);

app.post('/ws/:channel', async (req, res) => {
  const ws = req.grip.wsContext;
  if (ws == null) {
    res.status(400).send('not a WebSocket-over-HTTP request\n');
    return;
  }
  const channel = req.params.channel;
  if (ws.isOpening()) {
    ws.accept();
    ws.subscribe(channel);
  }
  while (ws.canRecv()) {
    const message = ws.recv();
    if (message == null) {
      ws.close();
      break;
    }
    if (message === 'publish') {
      await serveGrip.getPublisher().publishFormats(channel, new WebSocketMessageFormat('published by node'));
      ws.send('published');
    } else {
      ws.send('echo:' + message);
    }
  }
  res.end();
});

app.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
