// A desk table for the établissement's and the Region's screens: sorting by
// column, a search box, pagination, CSV export and bulk selection. Works on
// a computer all day, still usable on a tablet (the table scrolls
// sideways on narrow screens).
import { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<T> {
  /** Stable key (also the CSV header when `csv` is not given). */
  key: string;
  /** Header, in French. */
  label: string;
  /** The cell's value for sorting, searching and CSV. */
  value: (row: T) => string | number | null | undefined;
  /** How the cell shows (default: the value). */
  render?: (row: T) => ComponentChildren;
  /** Sortable (default true). */
  sortable?: boolean;
}

export interface DeskTableProps<T> {
  /** Accessible caption (what the table lists). */
  caption: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** Rows per page (default 25). */
  pageSize?: number;
  /** Shows a search box over these columns' values (default: every column). */
  searchable?: boolean;
  /** Extra filters shown next to the search box. */
  filters?: ComponentChildren;
  /** File name of the CSV export (no export when absent). */
  csvName?: string;
  /** Bulk selection: the selected keys and their setter. */
  selected?: Set<string>;
  onSelect?: (keys: Set<string>) => void;
  /** Shown above the table when rows are selected (bulk actions). */
  bulkActions?: ComponentChildren;
  /** A test id for the table. */
  testId?: string;
  /** Initial sort column and direction. */
  initialSort?: { key: string; dir: 'asc' | 'desc' };
}

const text = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** `;`-separated CSV (what French spreadsheets open), with a BOM for the accents. */
export function toCsv<T>(rows: T[], columns: Column<T>[]): string {
  const cell = (v: string) => (/[;"\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  // A cell starting with = + - @ would be read as a formula by a spreadsheet.
  const safe = (v: string) => (/^[=+\-@]/.test(v) ? `'${v}` : v);
  const lines = [columns.map((c) => cell(c.label)).join(';')];
  for (const r of rows) lines.push(columns.map((c) => cell(safe(text(c.value(r))))).join(';'));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export function download(name: string, content: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function DeskTable<T>(props: DeskTableProps<T>) {
  const { rows, columns, rowKey } = props;
  const pageSize = props.pageSize ?? 25;
  const [q, setQ] = useState('');
  const [sort, setSort] = useState<{ key: string; dir: 'asc' | 'desc' } | null>(props.initialSort ?? null);
  const [page, setPage] = useState(0);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    let list = needle ? rows.filter((r) => columns.some((c) => text(c.value(r)).toLowerCase().includes(needle))) : rows;
    if (sort) {
      const col = columns.find((c) => c.key === sort.key);
      if (col) {
        const sign = sort.dir === 'asc' ? 1 : -1;
        list = [...list].sort((a, b) => {
          const x = col.value(a);
          const y = col.value(b);
          if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
          return text(x).localeCompare(text(y), 'fr', { numeric: true }) * sign;
        });
      }
    }
    return list;
  }, [rows, columns, q, sort]);
  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  const at = Math.min(page, pages - 1);
  const slice = shown.slice(at * pageSize, at * pageSize + pageSize);
  const selected = props.selected;
  const select = props.onSelect;
  const allOnPage = slice.length > 0 && slice.every((r) => selected?.has(rowKey(r)));
  // Every result of the search (all pages), for a bulk action on them all.
  const allShown = shown.length > 0 && (selected?.size ?? 0) >= shown.length && shown.every((r) => selected?.has(rowKey(r)));
  const id = props.testId ?? 'desk';
  return (
    <div class="desk-wrap">
      <div class="filters">
        {props.searchable !== false && (
          <div class="field">
            <label for={`${id}-q`}>Rechercher</label>
            <input id={`${id}-q`} type="search" value={q} onInput={(e) => (setQ((e.target as HTMLInputElement).value), setPage(0))} />
          </div>
        )}
        {props.filters}
      </div>
      <div class="desk-bar">
        <span role="status">
          {shown.length} résultat{shown.length > 1 ? 's' : ''}
          {selected && selected.size > 0 ? ` · ${selected.size} sélectionné${selected.size > 1 ? 's' : ''}` : ''}
        </span>
        {select && shown.length > 0 && (
          <button
            type="button"
            onClick={() => select(allShown ? new Set() : new Set(shown.map(rowKey)))}
          >
            {allShown ? 'Tout désélectionner' : `Sélectionner les ${shown.length} résultats`}
          </button>
        )}
        {props.csvName && (
          <button type="button" onClick={() => download(props.csvName ?? 'export.csv', toCsv(shown, columns))}>
            Exporter en CSV
          </button>
        )}
      </div>
      {selected && selected.size > 0 && props.bulkActions && <div class="actions bulk">{props.bulkActions}</div>}
      <div class="table-scroll">
        <table class="desk" data-testid={props.testId}>
          <caption>{props.caption}</caption>
          <thead>
            <tr>
              {select && (
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Tout sélectionner sur cette page"
                    checked={allOnPage}
                    onChange={(e) => {
                      const next = new Set(selected);
                      for (const r of slice) (e.target as HTMLInputElement).checked ? next.add(rowKey(r)) : next.delete(rowKey(r));
                      select(next);
                    }}
                  />
                </th>
              )}
              {columns.map((c) => {
                const dir = sort?.key === c.key ? sort.dir : null;
                return (
                  <th scope="col" aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}>
                    {c.sortable === false ? (
                      c.label
                    ) : (
                      <button
                        type="button"
                        class="sort"
                        onClick={() => setSort({ key: c.key, dir: dir === 'asc' ? 'desc' : 'asc' })}
                      >
                        {c.label}
                        <span aria-hidden="true">{dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ''}</span>
                      </button>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {slice.map((r) => {
              const k = rowKey(r);
              return (
                <tr data-key={k}>
                  {select && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Sélectionner ${text(columns[0]?.value(r))}`}
                        checked={selected?.has(k) ?? false}
                        onChange={(e) => {
                          const next = new Set(selected);
                          (e.target as HTMLInputElement).checked ? next.add(k) : next.delete(k);
                          select(next);
                        }}
                      />
                    </td>
                  )}
                  {columns.map((c) => (
                    <td>{c.render ? c.render(r) : text(c.value(r))}</td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={at === 0} onClick={() => setPage(at - 1)}>
            Page précédente
          </button>
          <span>
            Page {at + 1} / {pages}
          </span>
          <button type="button" disabled={at >= pages - 1} onClick={() => setPage(at + 1)}>
            Page suivante
          </button>
        </nav>
      )}
    </div>
  );
}
