// Camera + QR decoding. Browsers decode frames with jsQR; inside Tauri, frames
// may be sent to the Rust `scan_frame` command (passregion-core's scanner).
import jsQR from 'jsqr';
import { invoke, isTauri } from '@tauri-apps/api/core';

export interface Scanner { stop(): void }

/** Decodes one RGBA frame; returns the texts found. */
export async function decodeFrame(rgba: Uint8ClampedArray, width: number, height: number): Promise<string[]> {
  if (isTauri()) {
    try {
      const bytes = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
      return await invoke<string[]>('scan_frame', bytes, {
        headers: { 'x-frame-width': String(width), 'x-frame-height': String(height) },
      });
    } catch {
      /* fall back to jsQR */
    }
  }
  const r = jsQR(rgba, width, height, { inversionAttempts: 'attemptBoth' });
  return r && r.data ? [r.data] : [];
}

/**
 * Opens the camera (rear preferred) into `video` and calls `onText` with the
 * first QR text read. Throws a French message when no camera can be opened.
 */
export async function startScanner(video: HTMLVideoElement, onText: (text: string) => void): Promise<Scanner> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('Caméra indisponible sur cet appareil : utilisez la saisie manuelle.');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch {
    throw new Error('Impossible d’ouvrir la caméra (autorisation refusée ou aucune caméra) : utilisez la saisie manuelle.');
  }
  video.srcObject = stream;
  video.setAttribute('playsinline', 'true');
  video.muted = true;
  await video.play().catch(() => undefined);
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let stopped = false;
  let busy = false;
  const timer = setInterval(async () => {
    if (stopped || busy || !ctx || video.readyState < 2 || !video.videoWidth) return;
    busy = true;
    try {
      const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const texts = await decodeFrame(img.data, img.width, img.height);
      if (texts.length && !stopped) {
        scanner.stop();
        onText(texts[0]);
      }
    } finally {
      busy = false;
    }
  }, 150);
  const scanner: Scanner = {
    stop() {
      stopped = true;
      clearInterval(timer);
      stream.getTracks().forEach((t) => t.stop());
      video.srcObject = null;
    },
  };
  return scanner;
}
