// The audible alarm: a two-tone Web Audio beep, no sound file. Browsers start audio only after
// a user gesture, so the context is created (or resumed) on the first click or key press and the
// banner tells the officer when sound is still blocked.
let ctx: AudioContext | null = null;
let beeps = 0;

export function unlock_audio() {
  try {
    if (!ctx) ctx = new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
  } catch {
    ctx = null;
  }
}

export function audio_blocked(): boolean {
  return !ctx || ctx.state !== 'running';
}

// One alarm burst: high–low–high, about 0.9 s. Returns false when audio cannot play.
export function beep(): boolean {
  if (!ctx) unlock_audio();
  if (!ctx || ctx.state !== 'running') return false;
  const t0 = ctx.currentTime;
  const tones = [988, 740, 988];
  tones.forEach((hz, i) => {
    const osc = ctx!.createOscillator();
    const gain = ctx!.createGain();
    osc.type = 'square';
    osc.frequency.value = hz;
    const start = t0 + i * 0.3;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.26);
    osc.connect(gain).connect(ctx!.destination);
    osc.start(start);
    osc.stop(start + 0.28);
  });
  beeps += 1;
  // Exposed for the console's browser tests, which cannot hear.
  document.documentElement.dataset.alarmBeeps = String(beeps);
  return true;
}
