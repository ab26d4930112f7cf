import { useId } from 'react';

/**
 * A bar chart in plain SVG (no chart library): one bar per time step, a few y-axis gridlines, labels on a
 * sensible subset of steps. Each bar has a <title> for hover and screen readers.
 */
export function BarChart({ points, label, formatX }: { points: { at: number; count: number }[]; label: string; formatX: (at: number) => string }) {
  const id = useId();
  const width = 720;
  const height = 200;
  const pad = { left: 40, right: 8, top: 10, bottom: 26 };
  const max = Math.max(1, ...points.map((p) => p.count));
  const niceMax = niceCeil(max);
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const step = innerW / Math.max(1, points.length);
  const barW = Math.max(2, step * 0.68);
  const labelEvery = Math.ceil(points.length / 8);
  const ticks = [0, niceMax / 2, niceMax];
  return (
    <figure className="chart" aria-labelledby={`${id}-cap`}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        {ticks.map((t) => {
          const y = pad.top + innerH - (t / niceMax) * innerH;
          return (
            <g key={t}>
              <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} className="chart-grid" />
              <text x={pad.left - 6} y={y + 4} className="chart-axis" textAnchor="end">
                {Number.isInteger(t) ? t : t.toFixed(1)}
              </text>
            </g>
          );
        })}
        {points.map((p, i) => {
          const h = (p.count / niceMax) * innerH;
          const x = pad.left + i * step + (step - barW) / 2;
          return (
            <g key={p.at}>
              <rect x={x} y={pad.top + innerH - h} width={barW} height={Math.max(h, p.count > 0 ? 1 : 0)} rx={2} className="chart-bar">
                <title>{`${formatX(p.at)}: ${p.count} pull${p.count === 1 ? '' : 's'}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={height - 8} className="chart-axis" textAnchor="middle">
                  {formatX(p.at)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption id={`${id}-cap`} className="sr-only">
        {label}
      </figcaption>
    </figure>
  );
}

function niceCeil(n: number): number {
  const mag = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= n) return m * mag;
  return 10 * mag;
}
