// Partner directory: Leaflet map (clustered markers) + list sorted by distance.
import { inApp, native } from './native';
import L from 'leaflet';
import 'leaflet.markercluster';
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, Partner } from './api';
import { cached } from './sync';
import { CATEGORIES } from './format';
import { DEFAULT_POSITION, tileUrl } from './config';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

/** Great-circle distance in km (display only). */
function distanceKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const r = 6371;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

function useWhere() {
  const [pos, setPos] = useState<{ lat: number; lng: number; real: boolean }>({ ...DEFAULT_POSITION, real: false });
  useEffect(() => {
    navigator.geolocation?.getCurrentPosition(
      (p) => setPos({ lat: p.coords.latitude, lng: p.coords.longitude, real: true }),
      () => undefined,
      { timeout: 5000, maximumAge: 600_000 },
    );
  }, []);
  return pos;
}

export function PartnerMap() {
  const [category, setCategory] = useState('');
  const [selected, setSelected] = useState<Partner | null>(null);
  const [tilesFailed, setTilesFailed] = useState(false);
  const where = useWhere();
  // The whole directory is cached for offline use; the filter is applied here.
  const { data, error, refresh } = useLoad(() => cached('partners', () => api.partners(), inApp() ? () => native.youthPartners({ limit: 10000 }) : undefined));
  const all = data?.data ?? [];
  const list = useMemo(
    () =>
      all
        .filter((p) => !category || p.category === category)
        .map((p) => ({ p, d: distanceKm(where, { lat: p.latitude, lng: p.longitude }) }))
        .sort((a, b) => a.d - b.d),
    [all, category, where.lat, where.lng],
  );

  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const cluster = useRef<L.MarkerClusterGroup | null>(null);

  useEffect(() => {
    if (!el.current) return;
    const m = L.map(el.current, { zoomControl: true, attributionControl: true }).setView([DEFAULT_POSITION.lat, DEFAULT_POSITION.lng], 11);
    const tiles = L.tileLayer(tileUrl(), { maxZoom: 19, attribution: '© OpenStreetMap' });
    let failures = 0;
    tiles.on('tileerror', () => {
      failures++;
      if (failures >= 1) setTilesFailed(true);
    });
    tiles.on('tileload', () => setTilesFailed(false));
    tiles.addTo(m);
    cluster.current = L.markerClusterGroup({ showCoverageOnHover: false });
    m.addLayer(cluster.current);
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const c = cluster.current;
    if (!c || !map.current) return;
    c.clearLayers();
    for (const { p } of list) {
      const marker = L.marker([p.latitude, p.longitude], {
        title: p.name,
        alt: p.name,
        icon: L.divIcon({ className: `pin cat-${p.category}`, html: '<span></span>', iconSize: [22, 22], iconAnchor: [11, 22] }),
      });
      marker.on('click', () => setSelected(p));
      c.addLayer(marker);
    }
    if (list.length) {
      const bounds = L.latLngBounds(list.map(({ p }) => [p.latitude, p.longitude] as [number, number]));
      map.current.fitBounds(bounds.pad(0.1), { maxZoom: 13 });
    }
  }, [list]);

  return (
    <section aria-labelledby="map-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="map-title">Carte des partenaires</h2>
      <Field id="map-cat" label="Catégorie">
        <select id="map-cat" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
          <option value="">Toutes</option>
          {Object.entries(CATEGORIES).map(([v, l]) => (
            <option value={v}>{l}</option>
          ))}
        </select>
      </Field>
      <div class={`map-wrap${tilesFailed ? ' no-tiles' : ''}`}>
        <div ref={el} class="map" data-testid="partner-map" role="application" aria-label="Carte des partenaires" />
        {tilesFailed && (
          <p class="map-note" role="status">
            Fond de carte indisponible hors connexion
          </p>
        )}
      </div>
      <ErrorBox error={error} />
      {selected && (
        <div class="panel" data-testid="partner-details" aria-live="polite">
          <strong>{selected.name}</strong>
          <p>
            {CATEGORIES[selected.category] ?? selected.category}
            <br />
            {selected.address}, {selected.postal_code} {selected.city}
          </p>
          <button type="button" class="link" onClick={() => setSelected(null)}>
            Fermer
          </button>
        </div>
      )}
      <p class="hint">Distances depuis {where.real ? 'votre position' : 'Lyon (position non partagée)'}.</p>
      <ul class="list" data-testid="partner-list">
        {list.map(({ p, d }) => (
          <li class="item">
            <button type="button" class="row plain" onClick={() => setSelected(p)}>
              <span>
                <strong>{p.name}</strong>
                <br />
                <small>
                  {CATEGORIES[p.category] ?? p.category} · {p.city}
                </small>
              </span>
              <span class="value">{d < 10 ? d.toFixed(1).replace('.', ',') : Math.round(d)} km</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
