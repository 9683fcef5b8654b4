// End-to-end (issue 13): a bookshop applies from the app at 360×740 with a
// PDF Kbis and a JPEG RIB (a 20 MB file and an executable renamed .pdf are
// refused), reads the CGP, signs with the code taken from a fake SMS
// provider; the Region (1280×800) opens the documents and validates; the
// manager invites a cashier who cannot edit the IBAN; two bons plans are
// submitted and one refused with a reason; the Region terminates the
// convention and the next debit is refused with a French message. Each
// screen passes axe-core with no serious violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeSms } from './fake-sms.js';
import { PASSWORD, cleanupTemps, lastVerificationToken, launchDesktop, launchPhone, seriousA11yViolations, startServer, tempDir } from './lib/env.js';

const EMAIL = 'mots-passants@example.org';
const PHONE = '06 12 34 56 78';
const NAME = 'Librairie Les Mots Passants';
let server;
let sms;
let files;
const contexts = [];

async function noSeriousViolations(page, where) {
  const v = await seriousA11yViolations(page);
  assert.deepEqual(v, [], `${where}: ${JSON.stringify(v, null, 1)}`);
}

async function login(page, email, password = PASSWORD) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

async function open(ctx) {
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

before(async () => {
  sms = await startFakeSms();
  server = await startServer({ args: ['--sms-url', sms.url] });
  const dir = tempDir('pr-e2e-files-');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'binary'), Buffer.from([0xff, 0xd9])]);
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20 * 1024 * 1024, 0x20), Buffer.from('\n%%EOF\n')]);
  const exe = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(300)]);
  files = { pdf: join(dir, 'kbis.pdf'), jpeg: join(dir, 'rib.jpg'), big: join(dir, 'gros.pdf'), exe: join(dir, 'faux.pdf') };
  writeFileSync(files.pdf, pdf);
  writeFileSync(files.jpeg, jpeg);
  writeFileSync(files.big, big);
  writeFileSync(files.exe, exe);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
  await sms?.close();
  cleanupTemps();
});

let partner; // the manager's page (phone)
let region; // the Region's page (desktop)

test('a bookshop applies with its documents, reads the CGP and signs with the SMS code', async () => {
  partner = await open(await launchPhone());
  await partner.goto(`${server.url}/#/connexion`);
  await partner.getByRole('link', { name: /Devenir partenaire/ }).click();
  await partner.getByLabel('Raison sociale').fill(NAME);
  await partner.getByLabel('Catégorie de partenaire').selectOption('librairie');
  await partner.getByLabel('Personne à contacter').fill('Claire Martin');
  await partner.getByLabel('Adresse e-mail').fill(EMAIL);
  await partner.getByLabel(/Mot de passe/).fill('motdepasse-libraire');
  await noSeriousViolations(partner, 'public application form');
  await partner.getByRole('button', { name: 'Commencer ma demande' }).click();
  await partner.getByRole('heading', { name: 'Vérifiez votre boîte mail' }).waitFor();
  const jeton = lastVerificationToken(server.dataDir, EMAIL);
  assert.ok(jeton, 'a link was mailed');
  await partner.goto(`${server.url}/#/verifier-email?jeton=${jeton}`);
  await partner.getByTestId('application').waitFor();
  assert.equal(await partner.getByTestId('application').getAttribute('data-stage'), 'brouillon');

  // The draft, saved and resumed.
  await partner.getByLabel('SIRET (14 chiffres)').fill('73282932000075');
  await partner.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await partner.locator('#d-siret-error').waitFor();
  assert.match(await partner.locator('#d-siret-error').textContent(), /clé de contrôle/);
  await partner.getByLabel('SIRET (14 chiffres)').fill('732 829 320 00074');
  await partner.getByLabel('Adresse', { exact: true }).fill('12 rue d’Austerlitz');
  await partner.getByLabel('Code postal').fill('69004');
  await partner.getByLabel('Commune').fill('Lyon');
  await partner.getByLabel(/Téléphone mobile/).fill(PHONE);
  await partner.getByLabel('IBAN').fill('FR76 3000 6000 0112 3456 7890 189');
  await partner.getByLabel('BIC').fill('AGRIFRPP');
  await partner.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await partner.getByText('Brouillon enregistré.').waitFor();
  await partner.reload();
  await partner.getByTestId('application').waitFor();
  assert.equal(await partner.getByLabel('SIRET (14 chiffres)').inputValue(), '73282932000074');
  await partner.getByText('Enregistré : FR76 •••• •••• 0189').waitFor();

  // Documents: the wrong ones are refused with a clear message, nothing stored.
  const upload = async (kind, path) => {
    await partner.getByLabel('Type de document').selectOption(kind);
    await partner.getByLabel(/Fichier \(PDF, JPEG ou PNG/).setInputFiles(path);
    await partner.getByRole('button', { name: 'Ajouter le document' }).click();
  };
  await upload('kbis_statuts', files.big);
  await partner.getByText(/dépasse la taille maximale/).waitFor();
  await upload('kbis_statuts', files.exe);
  await partner.getByText('Seuls les fichiers PDF, JPEG et PNG sont acceptés.').waitFor();
  assert.equal(await partner.getByTestId('documents').count(), 0);
  await upload('kbis_statuts', files.pdf);
  await partner.getByTestId('documents').getByRole('button', { name: 'Voir kbis.pdf' }).waitFor();
  await upload('rib', files.jpeg);
  await partner.getByTestId('documents').getByRole('button', { name: 'Voir rib.jpg' }).waitFor();
  await partner.getByText('Votre demande est complète : vous pouvez l’envoyer.').waitFor();
  await noSeriousViolations(partner, 'application draft');

  // The CGP are shown; acceptance is needed to send.
  const send = partner.getByRole('button', { name: /Envoyer ma demande/ });
  assert.ok(await send.isDisabled());
  assert.match(await partner.getByTestId('cgp-text').textContent(), /Article 5 – Bons plans/);
  await partner.getByLabel(/J’ai lu et j’accepte les Conditions Générales de Partenariat/).check();
  await send.click();
  await partner.getByRole('heading', { name: 'Signer la convention' }).waitFor();
  await partner.getByText(`Un code a été envoyé au 06 •• •• •• 78.`).waitFor();
  await partner.getByRole('button', { name: 'Lire la convention (PDF)' }).click();
  await partner.locator('iframe[title="Lire la convention (PDF)"]').waitFor();
  await noSeriousViolations(partner, 'convention signature');
  const code = sms.lastCodeFor(PHONE);
  assert.match(code ?? '', /^\d{6}$/, JSON.stringify(sms.messages));
  await partner.getByLabel('Code reçu par SMS (6 chiffres)').fill(code);
  await partner.getByRole('button', { name: 'Signer la convention' }).click();
  await partner.getByTestId('application-stage').getByText('Signée').waitFor();
});

test('the Region opens the documents, sees the checks and validates', async () => {
  region = await open(await launchDesktop());
  await login(region, 'region@demo.passregion.fr');
  await region.getByRole('link', { name: 'Partenaires' }).click();
  await region.getByTestId('region-partners').waitFor();
  await noSeriousViolations(region, 'Region partner list');
  await region.getByRole('link', { name: NAME }).click();
  await region.getByTestId('partner-record').waitFor();
  await region.getByTestId('record-standing').getByText(/En instruction/).waitFor();
  const checks = await region.getByTestId('checks').textContent();
  assert.match(checks, /✓ SIRET 73282932000074 valide/);
  assert.match(checks, /✓ IBAN FR7630006000011234567890189 valide/);
  await region.getByRole('button', { name: 'Afficher kbis.pdf' }).click();
  await region.locator('iframe[title="Afficher kbis.pdf"]').waitFor();
  await region.getByRole('button', { name: 'Afficher rib.jpg' }).click();
  await region.getByRole('img', { name: 'Afficher rib.jpg' }).waitFor();
  await noSeriousViolations(region, 'Region partner record');
  await region.getByRole('button', { name: 'Valider le partenariat' }).click();
  await region.getByTestId('record-standing').getByText(/Convention en vigueur/).waitFor();
  // The partner was told by SMS too.
  assert.ok(sms.messages.some((m) => /validée/.test(m.text)), JSON.stringify(sms.messages));
});

test('the manager invites a cashier, who cannot edit the IBAN', async () => {
  await partner.goto(`${server.url}/#/partenaire/convention`);
  await partner.getByTestId('convention-panel').waitFor();
  await partner.getByTestId('standing').getByText('Convention en vigueur').waitFor();
  await partner.getByText('Changer de coordonnées bancaires').waitFor();
  await noSeriousViolations(partner, 'partner structure');
  await partner.getByLabel('Adresse e-mail').fill('caisse@example.org');
  await partner.getByLabel('Prénom et nom').fill('Paul Caisse');
  await partner.getByLabel('Rôle').selectOption('cashier');
  await partner.getByRole('button', { name: 'Envoyer l’invitation' }).click();
  await partner.getByText(/Invitation envoyée à caisse@example.org/).waitFor();
  const jeton = lastVerificationToken(server.dataDir, 'caisse@example.org');
  assert.ok(jeton, 'an invitation was mailed');
  const cashier = await open(await launchPhone());
  await cashier.goto(`${server.url}/#/invitation?jeton=${jeton}`);
  await cashier.getByLabel('Mot de passe').fill('caisse-secrete');
  await cashier.getByRole('button', { name: 'Activer mon compte' }).click();
  await cashier.waitForURL(/#\/partenaire/);
  await cashier.goto(`${server.url}/#/partenaire/convention`);
  await cashier.getByTestId('convention-panel').waitFor();
  await cashier.getByText('Seul le responsable de la structure modifie le profil et les coordonnées bancaires.').waitFor();
  assert.equal(await cashier.getByLabel('Nouvel IBAN').count(), 0);
  // And the server refuses it anyway.
  const token = await cashier.evaluate(() => JSON.parse(localStorage.getItem('pr.session')).token);
  const r = await fetch(`${server.url}/api/partner/profile`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ iban: 'FR1420041010050500013M02606' }),
  });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).code, 'reserve_au_responsable');
});

test('two bons plans are submitted; the Region publishes one and refuses the other with a reason', async () => {
  await partner.goto(`${server.url}/#/partenaire/bons-plans`);
  await partner.getByTestId('bons-plans-progress').getByText('0 / 2').waitFor();
  for (const title of ['Dédicace du samedi', 'Marque-page offert']) {
    await partner.getByLabel('Titre').fill(title);
    await partner.getByLabel('Description').fill(`${title} pour les porteurs du PASS'Région.`);
    await partner.getByRole('button', { name: 'Envoyer à la modération' }).click();
    await partner.getByTestId('my-bons-plans').getByText(title, { exact: true }).waitFor();
  }
  await noSeriousViolations(partner, 'partner bons plans');
  await region.getByRole('link', { name: 'Modération' }).click();
  const first = region.locator('li', { hasText: 'Dédicace du samedi' });
  await first.getByRole('button', { name: 'Publier' }).click();
  await first.waitFor({ state: 'detached' });
  region.once('dialog', (d) => d.accept('Offre sans lien avec le PASS'));
  const second = region.locator('li', { hasText: 'Marque-page offert' });
  await second.getByRole('button', { name: 'Refuser' }).click();
  await second.waitFor({ state: 'detached' });
  await partner.reload();
  await partner.getByTestId('bons-plans-progress').getByText('1 / 2').waitFor();
  await partner.getByText('Motif du refus : Offre sans lien avec le PASS').waitFor();
});

test('the Region terminates the convention; the next debit is refused in French', async () => {
  await region.getByRole('link', { name: 'Partenaires' }).click();
  await region.getByRole('link', { name: NAME }).click();
  await region.getByLabel(/Motif/).fill('Fermeture de la librairie');
  await region.getByRole('button', { name: 'Résilier la convention' }).click();
  await region.getByTestId('record-standing').getByText(/Convention résiliée/).waitFor();
  const lea = server.lines.map((l) => /Carte de Léa[^:]*:\s*(\S+)\s*\(née le (\d{2})\/(\d{2})\/(\d{4})\)/.exec(l)).find(Boolean);
  await partner.goto(`${server.url}/#/partenaire/saisie`);
  await partner.getByLabel('Numéro de carte').fill(lea[1]);
  await partner.getByLabel('Date de naissance du titulaire').fill(`${lea[4]}-${lea[3]}-${lea[2]}`);
  await partner.getByRole('button', { name: 'Vérifier la carte' }).click();
  await partner.getByText('Votre convention de partenariat n’est pas en vigueur.').or(partner.getByText("Votre convention de partenariat n'est pas en vigueur.")).waitFor();
});
