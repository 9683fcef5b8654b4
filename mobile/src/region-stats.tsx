// The Région's statistics (issue 15): cards by public, track, département
// and établissement; uptake per avantage; spend per avantage and partner
// category over the months (Chart.js); offline share and flags; top
// partners; bons plans per partner against the minimum; filters by season
// and département; the CSV from the server. Every chart has a table of the
// same numbers next to it (and an aria-label), for screen readers.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { components } from './api-schema';
import { fileUrl, request } from './api';
import { CATEGORIES, CHANNEL, euros, words } from './format';
import { ErrorBox, OfflineBanner, useLoad } from './ui';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

type Schemas = components['schemas'];
type RegionStatsDoc = Schemas['RegionStats'];
type CardCount = Schemas['CardCount'];
type Spend = Schemas['Spend'];
type MonthlySpend = Schemas['MonthlySpend'];

const COLORS = ['#1f5fa8', '#c0392b', '#1e8449', '#b9770e', '#6c3483', '#117a65', '#5d6d7e'];

function query(season: string, departement: string): string {
  const p = new URLSearchParams();
  if (season) p.set('season', season);
  if (departement) p.set('departement', departement);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A bar or line chart on a canvas; `label` describes it with its figures. */
function ChartBox(props: {
  type: 'bar' | 'line';
  labels: string[];
  series: { label: string; data: number[] }[];
  label: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: props.type,
      data: {
        labels: props.labels,
        datasets: props.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          backgroundColor: COLORS[i % COLORS.length],
          borderColor: COLORS[i % COLORS.length],
        })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
    return () => chart.destroy();
  }, [JSON.stringify(props)]);
  return (
    <div class="chart" style="position: relative; height: 260px">
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}

const num = (m: string) => Number(m);

function CountsTable({ caption, rows }: { caption: string; rows: CardCount[] }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Groupe</th>
          <th scope="col">Commandes</th>
          <th scope="col">Validées</th>
          <th scope="col">Cartes</th>
          <th scope="col">Actives</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            <td>{r.ordered}</td>
            <td>{r.validated}</td>
            <td>{r.cards}</td>
            <td>{r.active}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SpendTable({ caption, rows, label }: { caption: string; rows: Spend[]; label: (s: Spend) => string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Poste</th>
          <th scope="col">Débits</th>
          <th scope="col">Annulations</th>
          <th scope="col">Montant net</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{label(r)}</th>
            <td>{r.debits}</td>
            <td>{r.refunds}</td>
            <td>{euros(r.net)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Months × keys → one series per key, for a line chart and its table. */
function Monthly({ title, rows, name }: { title: string; rows: MonthlySpend[]; name: (key: string) => string }) {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const keys = [...new Set(rows.map((r) => r.key))].sort();
  const value = (m: string, k: string) => rows.find((r) => r.month === m && r.key === k)?.net ?? '0.00';
  const label = `${title} : ` + keys.map((k) => `${name(k)} ${months.map((m) => `${m} ${euros(value(m, k))}`).join(', ')}`).join(' ; ');
  return (
    <figure>
      <figcaption>{title}</figcaption>
      <ChartBox type="line" labels={months} series={keys.map((k) => ({ label: name(k), data: months.map((m) => num(value(m, k))) }))} label={label} />
      <table>
        <caption>{title} (tableau)</caption>
        <thead>
          <tr>
            <th scope="col">Mois</th>
            {keys.map((k) => (
              <th scope="col" key={k}>
                {name(k)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {months.map((m) => (
            <tr key={m}>
              <th scope="row">{m}</th>
              {keys.map((k) => (
                <td key={k}>{euros(value(m, k))}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function Dashboard({ s }: { s: RegionStatsDoc }) {
  const avLabel = (k: string) => s.uptake.find((u) => u.avantage === k)?.label ?? s.spend_by_avantage.find((a) => a.key === k)?.label ?? k;
  const catLabel = (k: string) => words(CATEGORIES, k);
  const byPublic = s.by_public;
  return (
    <>
      <h3>Cartes</h3>
      <p>
        {s.cards.ordered} commandes, {s.cards.validated} validées, {s.cards.cards} cartes dont {s.cards.active} actives.
      </p>
      <ChartBox
        type="bar"
        labels={byPublic.map((r) => r.label)}
        series={[
          { label: 'Commandes', data: byPublic.map((r) => r.ordered) },
          { label: 'Cartes actives', data: byPublic.map((r) => r.active) },
        ]}
        label={'Cartes par public : ' + byPublic.map((r) => `${r.label} ${r.ordered} commandes, ${r.active} actives`).join(' ; ')}
      />
      <CountsTable caption="Par public" rows={s.by_public} />
      <CountsTable caption="Par filière" rows={s.by_track} />
      <CountsTable caption="Par département" rows={s.by_departement} />
      <CountsTable caption="Par établissement" rows={s.by_establishment} />

      <h3>Utilisation des avantages</h3>
      <ChartBox
        type="bar"
        labels={s.uptake.map((u) => u.label)}
        series={[{ label: 'Part des cartes utilisées (%)', data: s.uptake.map((u) => num(u.percent)) }]}
        label={'Part des cartes avec au moins un débit : ' + s.uptake.map((u) => `${u.label} ${u.percent.replace('.', ',')} %`).join(' ; ')}
      />
      <table>
        <caption>Cartes avec au moins un débit, par avantage</caption>
        <thead>
          <tr>
            <th scope="col">Avantage</th>
            <th scope="col">Cartes utilisées</th>
            <th scope="col">Cartes</th>
            <th scope="col">Part</th>
          </tr>
        </thead>
        <tbody>
          {s.uptake.map((u) => (
            <tr key={u.avantage}>
              <th scope="row">{u.label}</th>
              <td>{u.used}</td>
              <td>{u.cards}</td>
              <td>{u.percent.replace('.', ',')} %</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Dépenses</h3>
      <SpendTable caption="Par avantage" rows={s.spend_by_avantage} label={(r) => r.label} />
      <SpendTable caption="Par catégorie de partenaire" rows={s.spend_by_category} label={(r) => catLabel(r.key)} />
      <Monthly title="Dépense nette par mois et par avantage" rows={s.monthly_by_avantage} name={avLabel} />
      <Monthly title="Dépense nette par mois et par catégorie" rows={s.monthly_by_category} name={catLabel} />

      <h3>Hors ligne et signalements</h3>
      <p>
        {s.channels.offline_debits} débits hors ligne sur {s.channels.debits} ({s.channels.offline_percent.replace('.', ',')} %) ·{' '}
        {s.flags.flags} signalement(s) de dépassement sur {s.flags.cards} carte(s), {euros(s.flags.amount)} portés par la Région.
      </p>
      <SpendTable caption="Par canal" rows={s.channels.by_channel} label={(r) => words(CHANNEL, r.key)} />

      <h3>Meilleurs partenaires</h3>
      <table>
        <caption>Partenaires par dépense nette</caption>
        <thead>
          <tr>
            <th scope="col">Partenaire</th>
            <th scope="col">Catégorie</th>
            <th scope="col">Débits</th>
            <th scope="col">Montant net</th>
          </tr>
        </thead>
        <tbody>
          {s.top_partners.map((p) => (
            <tr key={p.partner_id}>
              <th scope="row">{p.name}</th>
              <td>{catLabel(p.category)}</td>
              <td>{p.debits}</td>
              <td>{euros(p.net)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Bons plans</h3>
      <p>
        Minimum : {s.bons_plans_minimum} bons plans par saison ; {s.bons_plans.filter((b) => b.below_minimum).length} partenaire(s) en dessous.
      </p>
      <table>
        <caption>Bons plans validés par partenaire</caption>
        <thead>
          <tr>
            <th scope="col">Partenaire</th>
            <th scope="col">Catégorie</th>
            <th scope="col">Validés</th>
            <th scope="col">Minimum atteint</th>
          </tr>
        </thead>
        <tbody>
          {s.bons_plans.slice(0, 200).map((b) => (
            <tr key={b.partner_id}>
              <th scope="row">{b.name}</th>
              <td>{catLabel(b.category)}</td>
              <td>{b.validated}</td>
              <td>{b.below_minimum ? 'Non' : 'Oui'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function RegionStats() {
  const [season, setSeason] = useState('');
  const [departement, setDepartement] = useState('');
  const [applied, setApplied] = useState({ season: '', departement: '' });
  const [csvError, setCsvError] = useState<unknown>(null);
  const q = query(applied.season, applied.departement);
  const { data, error, refresh } = useLoad(() => request<RegionStatsDoc>('GET', `/api/region/stats${q}`), [q]);
  return (
    <section aria-labelledby="stats-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="stats-title">Statistiques{data ? ` — saison ${data.season}` : ''}</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ season: season.trim(), departement: departement.trim() });
        }}
      >
        <label>
          Saison (ex. 2026)
          <input value={season} inputMode="numeric" onInput={(e) => setSeason((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Département (ex. 69)
          <input value={departement} onInput={(e) => setDepartement((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">
          Afficher
        </button>
        <button
          type="button"
          onClick={async () => {
            setCsvError(null);
            try {
              const f = await fileUrl(`/api/region/stats.csv${q}`);
              const a = document.createElement('a');
              a.href = f.url;
              a.download = 'statistiques.csv';
              a.click();
            } catch (e) {
              setCsvError(e);
            }
          }}
        >
          Télécharger (CSV)
        </button>
      </form>
      <ErrorBox error={error ?? csvError} />
      {data && <Dashboard s={data} />}
    </section>
  );
}
