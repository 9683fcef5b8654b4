// Turns a PNG (e.g. a screenshot of the youth's QR) into a Y4M 4:2:0 video for
// Chromium's fake camera (--use-file-for-fake-video-capture).
import { PNG } from 'pngjs';

/**
 * @param {Buffer} pngBytes the picture
 * @param {{width?: number, height?: number, frames?: number, maxSide?: number, background?: number}} [opts]
 * @returns {Buffer} the Y4M file
 */
export function pngToY4m(pngBytes, opts = {}) {
  const { width = 640, height = 480, frames = 30, background = 128 } = opts;
  const maxSide = opts.maxSide ?? Math.round(Math.min(width, height) * 0.9);
  const png = PNG.sync.read(pngBytes);
  const scale = Math.min(maxSide / png.width, maxSide / png.height);
  const w = Math.max(1, Math.round(png.width * scale));
  const h = Math.max(1, Math.round(png.height * scale));
  const x0 = Math.floor((width - w) / 2);
  const y0 = Math.floor((height - h) / 2);

  const y = Buffer.alloc(width * height, background);
  for (let dy = 0; dy < h; dy++) {
    const sy = Math.min(png.height - 1, Math.floor(dy / scale));
    for (let dx = 0; dx < w; dx++) {
      const sx = Math.min(png.width - 1, Math.floor(dx / scale));
      const i = (sy * png.width + sx) * 4;
      const a = png.data[i + 3] / 255;
      const luma = 0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2];
      y[(y0 + dy) * width + x0 + dx] = Math.round(luma * a + background * (1 - a));
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), y, chroma, chroma]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}
