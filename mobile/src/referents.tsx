// Référents on request (issue 14, ADR 0027). The établissement declares,
// edits and removes its thematic référents and answers the partners'
// requests (grant, decline, withdraw a grant); a partner whose convention is
// in force lists the référents by theme and établissement, asks for a
// contact and sees the e-mail and phone only once granted. The server
// decides what is shared: this screen only shows what it answers.
import { useMemo, useState } from 'preact/hooks';
import { ApiError, PartnerReferent, Referent, ReferentInput, ReferentRequest, referentsApi } from './api';
import { Column, DeskTable } from './desk';
import { CATEGORIES, dateTime, REFERENT_THEMES } from './format';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

const theme = (t: string) => REFERENT_THEMES[t] ?? t;

const EMPTY: ReferentInput = { theme: 'sport', name: '', email: '', phone: '' };

/** The établissement's référents and the partners' requests for them (a desk). */
export function EstablishmentReferents() {
  const referents = useLoad(() => referentsApi.mine());
  const requests = useLoad(() => referentsApi.requests());
  const [editing, setEditing] = useState<Referent | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    referents.refresh();
    requests.refresh();
  };
  const act = async (f: () => Promise<unknown>, done: string) => {
    setActionError(null);
    setNotice(null);
    try {
      await f();
      setNotice(done);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  const remove = (r: Referent) => {
    if (!confirm(`Retirer ${r.name} ? Les partenaires qui ont accès à son contact ne le verront plus.`)) return;
    void act(() => referentsApi.remove(r.id ?? ''), `${r.name} a été retiré(e).`);
  };
  const referentColumns: Column<Referent>[] = [
    { key: 'name', label: 'Nom', value: (r) => r.name },
    { key: 'theme', label: 'Thème', value: (r) => theme(r.theme) },
    { key: 'email', label: 'E-mail', value: (r) => r.email },
    { key: 'phone', label: 'Téléphone', value: (r) => r.phone ?? '' },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (r) => (
        <div class="actions">
          <button type="button" aria-label={`Modifier ${r.name}`} onClick={() => (setEditing(r), setNotice(null))}>
            Modifier
          </button>
          <button type="button" aria-label={`Retirer ${r.name}`} onClick={() => remove(r)}>
            Retirer
          </button>
        </div>
      ),
    },
  ];
  const requestColumns: Column<ReferentRequest>[] = [
    { key: 'partner', label: 'Partenaire', value: (q) => q.partner_name },
    { key: 'category', label: 'Catégorie', value: (q) => CATEGORIES[q.partner_category] ?? q.partner_category },
    { key: 'referent', label: 'Référent', value: (q) => `${q.referent_name} (${theme(q.theme)})` },
    { key: 'message', label: 'Message', value: (q) => q.message, sortable: false },
    { key: 'requested_at', label: 'Reçue le', value: (q) => q.requested_at, render: (q) => dateTime(q.requested_at) },
    { key: 'status', label: 'État', value: (q) => q.status_label },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (q) => <RequestActions q={q} act={act} />,
    },
  ];
  return (
    <section aria-labelledby="ref-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="ref-title">Référents thématiques</h2>
      <p class="hint">
        Les partenaires voient le nom, le thème et l’établissement de vos référents. Leur e-mail et leur téléphone ne sont communiqués qu’au
        partenaire dont vous accordez la demande. Vous pouvez retirer cet accès à tout moment : le partenaire ne le voit plus, mais garde ce qu’il a
        déjà noté.
      </p>
      <ErrorBox error={referents.error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      {referents.data && referents.data.length === 0 && <p>Aucun référent déclaré.</p>}
      {referents.data && referents.data.length > 0 && (
        <DeskTable caption="Référents de l’établissement" rows={referents.data} columns={referentColumns} rowKey={(r) => r.id ?? r.email} testId="referents" csvName="referents.csv" />
      )}
      <ReferentForm
        key={editing?.id ?? 'new'}
        editing={editing}
        onDone={(msg) => {
          setEditing(null);
          setNotice(msg);
          refresh();
        }}
        onCancel={() => setEditing(null)}
      />
      <h2 id="req-title">Demandes des partenaires</h2>
      <ErrorBox error={requests.error} />
      {requests.data && requests.data.length === 0 && <p>Aucune demande pour l’instant.</p>}
      {requests.data && requests.data.length > 0 && (
        <DeskTable
          caption="Demandes de contact des partenaires"
          rows={requests.data}
          columns={requestColumns}
          rowKey={(q) => q.id}
          testId="referent-requests"
          csvName="demandes-referents.csv"
        />
      )}
    </section>
  );
}

function RequestActions({ q, act }: { q: ReferentRequest; act: (f: () => Promise<unknown>, done: string) => Promise<void> }) {
  const who = `${q.partner_name} (${q.referent_name})`;
  if (q.status === 'demandee')
    return (
      <div class="actions">
        <button type="button" class="primary" aria-label={`Accorder la demande de ${who}`} onClick={() => act(() => referentsApi.grant(q.id), `${q.partner_name} voit maintenant le contact de ${q.referent_name}.`)}>
          Accorder
        </button>
        <button
          type="button"
          aria-label={`Refuser la demande de ${who}`}
          onClick={() => {
            const reason = prompt('Motif du refus (montré au partenaire, facultatif) :');
            if (reason === null) return;
            void act(() => referentsApi.decline(q.id, reason.trim() || undefined), `Demande de ${q.partner_name} refusée.`);
          }}
        >
          Refuser
        </button>
      </div>
    );
  if (q.status === 'accordee')
    return (
      <button type="button" aria-label={`Retirer l’accès de ${who}`} onClick={() => act(() => referentsApi.withdraw(q.id), `${q.partner_name} ne voit plus le contact de ${q.referent_name}.`)}>
        Retirer l’accès
      </button>
    );
  return null;
}

function ReferentForm({ editing, onDone, onCancel }: { editing: Referent | null; onDone: (msg: string) => void; onCancel: () => void }) {
  const [form, setForm] = useState<ReferentInput>(editing ? { theme: editing.theme, name: editing.name, email: editing.email, phone: editing.phone ?? '' } : EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof ReferentInput) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  const title = editing ? `Modifier ${editing.name}` : 'Déclarer un référent';
  return (
    <form
      class="card"
      aria-labelledby="rf-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setBusy(true);
        const body: ReferentInput = { ...form, phone: form.phone?.trim() ? form.phone.trim() : null };
        try {
          const r = editing?.id ? await referentsApi.edit(editing.id, body) : await referentsApi.declare(body);
          setForm(EMPTY);
          onDone(editing ? `${r.name} : modifications enregistrées.` : `${r.name} est déclaré(e) comme référent ${theme(r.theme).toLowerCase()}.`);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 id="rf-title">{title}</h3>
      <Field id="rf-theme" label="Thème" error={fieldError('theme')}>
        <select id="rf-theme" value={form.theme} onChange={set('theme')}>
          {Object.entries(REFERENT_THEMES).map(([code, label]) => (
            <option value={code}>{label}</option>
          ))}
        </select>
      </Field>
      <Field id="rf-name" label="Nom du référent" error={fieldError('name')}>
        <input id="rf-name" value={form.name} onInput={set('name')} maxLength={80} required autocomplete="off" />
      </Field>
      <Field id="rf-email" label="E-mail du référent" error={fieldError('email')}>
        <input id="rf-email" type="email" value={form.email} onInput={set('email')} required autocomplete="off" />
      </Field>
      <Field id="rf-phone" label="Téléphone du référent (facultatif)" error={fieldError('phone')}>
        <input id="rf-phone" type="tel" value={form.phone ?? ''} onInput={set('phone')} maxLength={30} autocomplete="off" />
      </Field>
      <ErrorBox error={error && !(error instanceof ApiError && error.field) ? error : null} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {editing ? 'Enregistrer les modifications' : 'Déclarer le référent'}
        </button>
        {editing && (
          <button type="button" onClick={onCancel}>
            Annuler
          </button>
        )}
      </div>
    </form>
  );
}

/** Référents of every établissement, for a partner in force (a section of its Structure tab). */
export function PartnerReferents() {
  const [themeFilter, setThemeFilter] = useState('');
  const [q, setQ] = useState('');
  const { data, error, refresh } = useLoad(() => referentsApi.forPartner(themeFilter || undefined), [themeFilter]);
  const list = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (data ?? []).filter((r) => !needle || `${r.name} ${r.establishment_name}`.toLowerCase().includes(needle));
  }, [data, q]);
  return (
    <section class="panel" aria-labelledby="pref-title" data-testid="partner-referents">
      <h2 id="pref-title">Référents des établissements</h2>
      <p class="hint">Demandez le contact d’un référent : l’établissement vous le communique s’il accorde votre demande.</p>
      <div class="filters">
        <Field id="pref-theme" label="Thème">
          <select id="pref-theme" value={themeFilter} onChange={(e) => setThemeFilter((e.target as HTMLSelectElement).value)}>
            <option value="">Tous les thèmes</option>
            {Object.entries(REFERENT_THEMES).map(([code, label]) => (
              <option value={code}>{label}</option>
            ))}
          </select>
        </Field>
        <Field id="pref-q" label="Rechercher (établissement, nom)">
          <input id="pref-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      {error instanceof ApiError && error.code === 'partenariat_inactif' ? (
        <p class="hint" role="note">
          Les référents des établissements sont accessibles aux partenaires dont la convention est en vigueur.
        </p>
      ) : (
        <ErrorBox error={error} />
      )}
      {data && list.length === 0 && <p>Aucun référent.</p>}
      <ul class="list">
        {list.slice(0, 50).map((r) => (
          <PartnerReferentItem key={r.id} r={r} onChanged={refresh} />
        ))}
      </ul>
      {list.length > 50 && <p class="hint">{list.length - 50} autres : précisez la recherche.</p>}
    </section>
  );
}

function PartnerReferentItem({ r, onChanged }: { r: PartnerReferent; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const status = r.request?.status;
  const canAsk = !status || status === 'refusee' || status === 'retiree';
  const id = `pr-${r.id}`;
  return (
    <li class="item" data-testid="partner-referent">
      <div class="row">
        <strong>{r.name}</strong>
        {r.request && <span class="badge">{r.request.status_label}</span>}
      </div>
      <small>
        {theme(r.theme)} · {r.establishment_name}
      </small>
      {r.email && (
        <p class="contact" data-testid="referent-contact">
          <a href={`mailto:${r.email}`}>{r.email}</a>
          {r.phone && (
            <>
              {' · '}
              <a href={`tel:${r.phone.replace(/\s+/g, '')}`}>{r.phone}</a>
            </>
          )}
        </p>
      )}
      {r.request?.reason && status === 'refusee' && <p class="hint">Motif : {r.request.reason}</p>}
      {canAsk && !open && (
        <div class="actions">
          <button type="button" aria-label={`Demander le contact de ${r.name} (${r.establishment_name})`} onClick={() => setOpen(true)}>
            Demander le contact
          </button>
        </div>
      )}
      {open && (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            setBusy(true);
            try {
              await referentsApi.ask(r.id, message);
              setOpen(false);
              setMessage('');
              onChanged();
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field id={id} label="Votre message à l’établissement" error={error instanceof ApiError && error.field === 'message' ? error.message : null}>
            <textarea id={id} value={message} onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)} maxLength={500} rows={3} required />
          </Field>
          <ErrorBox error={error && !(error instanceof ApiError && error.field) ? error : null} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Envoyer la demande
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Annuler
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
