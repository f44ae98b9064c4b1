// Signs in as a national administrator and as an organisation lead, walks the main journeys in
// Debian's Chromium, and checks every page with axe-core against WCAG 2.2 AA.
// Usage: node journey.mjs BASE_URL SCREENSHOT_DIR [OIDC_ISSUER]
// With an issuer (the local OpenID provider run.sh starts), a new person also signs in once
// through the provider's login page.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.argv[2];
const shots = process.argv[3];
const oidcIssuer = process.argv[4];
const PASSWORD = 'palisade-demo-password';
// The assessment year running today (cycles start on 1 July).
const now = new Date();
const year = now.getUTCMonth() >= 6 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
let passed = 0;
let failed = 0;
const foreignHosts = new Set();

function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  const summary = result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes[0].html.slice(0, 120)}`);
  check(`axe: ${name}`, result.violations.length === 0, summary.join(' | '));
  await page.screenshot({ path: path.join(shots, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
}

async function visit(page, url, name, expectStatus = 200) {
  const res = await page.goto(base + url);
  check(`${name}: status ${expectStatus}`, res.status() === expectStatus, `got ${res.status()}`);
  check(`${name}: not redirected`, page.url() === base + url, `ended at ${page.url()}`);
  await axe(page, name);
}

async function signIn(page, email) {
  await page.goto(base + '/sign-in');
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('main button[type=submit]');
  await page.waitForURL(base + '/');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  // bypassCSP lets the test inject axe-core; the pages themselves keep their strict policy.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  context.on('request', (r) => {
    const host = new URL(r.url()).host;
    if (host !== new URL(base).host) foreignHosts.add(host);
  });
  const page = await context.newPage();

  await visit(page, '/sign-in', 'sign-in');
  await page.fill('#email', 'admin@example.nhs.uk');
  await page.fill('#password', 'not the password');
  await page.click('main button[type=submit]');
  check('wrong password shows an error summary', await page.isVisible('.nhsuk-error-summary'));
  await axe(page, 'sign-in with error');

  await signIn(page, 'admin@example.nhs.uk');
  await axe(page, 'home (national admin)');
  check('a national home has no worklist', !(await page.textContent('main')).includes('What needs doing'));
  const posture = await page.textContent('main');
  check('the national home shows the state of the system', posture.includes('The state of the system') && posture.includes('Submitted and met or exceeded, by type'));
  await visit(page, '/jobs', 'background jobs (national admin)');
  await page.click('main form[action="/jobs/estate_trend/run"] button');
  await page.waitForURL(base + '/jobs');
  await axe(page, 'background jobs after a run by hand');
  await page.click('.nhsuk-header__navigation a[href="/search"]');
  await page.fill('#q', 'R41');
  await page.click('main form button[type=submit]');
  await page.waitForURL(/\/search\?q=R41/);
  check('search finds the trust by its code', (await page.locator('main a[href="/organisations/R41"]').count()) > 0);
  await axe(page, 'search (national admin)');
  await visit(page, '/organisations', 'organisations');
  const everyRow = await page.locator('tbody tr').count();
  await visit(page, '/organisations?type=acute_trust&region=London', 'organisations filtered');
  const rows = await page.locator('tbody tr').allTextContents();
  check('filter narrows the list to London acute trusts',
    rows.length > 0 && rows.length < everyRow
      && rows.every((r) => r.includes('Acute trust') && r.includes('London')));
  await visit(page, '/organisations/R41', 'organisation detail');
  await visit(page, '/organisations/R41/edit', 'organisation edit');
  await visit(page, '/organisations/new', 'organisation new');
  await page.click('main button[type=submit]');
  check('empty organisation form names its fields', await page.isVisible('a[href="#code"]'));
  await axe(page, 'organisation form errors');
  await visit(page, '/people', 'people');
  await visit(page, '/people/new', 'person new');
  await page.goto(base + '/people?q=lead');
  await page.click('main table a');
  check('a person page shows their roles', (await page.textContent('main')).includes('Organisation lead'));
  await axe(page, 'person detail');
  await visit(page, '/organisations/R41/contacts/1/edit', 'contact edit');
  await visit(page, '/tokens', 'tokens');
  await page.fill('#label', 'browser test');
  await page.click('form[action="/tokens"] button[type=submit]');
  check('new token is shown once', (await page.textContent('code')).startsWith('pal_'));
  await visit(page, '/audit', 'audit log');
  await visit(page, '/organisations/import', 'register import');
  await page.setInputFiles('#file', {
    name: 'register.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('code,name,type,category,region,parent_code\nZZ1,Browser Test Pharmacy,pharmacy,3,London,\n'),
  });
  await page.click('main button[type=submit]');
  check('the register imports through the page', (await page.textContent('main')).includes('Added: 1.'));
  await axe(page, 'register import result');
  await visit(page, '/reports/national', 'national dashboard');
  check('the dashboard quotes the met-or-exceeded share',
    (await page.textContent('.nhsuk-inset-text')).includes('met or exceeded'));
  check('each chart has a text alternative', (await page.locator('svg[role=img] desc').count()) === 2);
  await page.click('table.app-figures tbody a >> nth=0');
  check('a figure drills down to the organisations behind it',
    page.url().includes('/assessments?') && (await page.locator('main tbody tr').count()) > 0);
  await axe(page, 'statuses drill-down');
  await visit(page, '/estate', 'national estate');
  check('the national estate counts unsupported Windows 7', (await page.textContent('main')).includes('Microsoft Windows 7 SP1'));
  await page.click('main table a[href*="/estate/releases/windows/7-sp1"]');
  check('a release drills down to the organisations running it', (await page.textContent('main')).includes('R41'));
  await axe(page, 'national estate drill-down');
  await visit(page, '/estate/exposure?cve=CVE-2021-44228', 'exposure by CVE');
  check('the Log4Shell CVE finds the demo trust\'s Log4j', (await page.textContent('main')).includes('SRV-WEB-01'));
  await visit(page, '/plans?state=signed_off', 'plans to review');
  // A cyber alert drafted, previewed and published through the form.
  await visit(page, '/alerts', 'alerts (national)');
  await visit(page, '/alerts/new', 'alert new');
  await page.fill('#title', 'Browser test: exploited VPN flaw');
  await page.fill('#summary', 'Patch the VPN appliances now.');
  await page.fill('#cves', 'CVE-2024-3400');
  await page.fill('#codes', 'R41');
  await page.click('button[value=preview]');
  check('the preview shows the alert', (await page.textContent('main')).includes('Preview: Browser test'));
  await axe(page, 'alert preview');
  await page.click('button[value=publish]');
  await page.waitForURL(/\/alerts\/[A-Z]+-\d+\?done=published$/);
  const alertPath = new URL(page.url()).pathname;
  check('the published alert shows its response board',
    (await page.textContent('main')).includes('Organisations in scope: 1.'));
  await axe(page, 'alert (national)');
  await visit(page, alertPath + '/responses', 'alert responses');
  // A supplier's CSAF advisory uploaded on the page becomes a draft to check and publish.
  await visit(page, '/alerts/import', 'alert import');
  await page.click('main button[type=submit]');
  check('an import without a file names the file field', await page.isVisible('.nhsuk-error-summary a[href="#file"]'));
  await axe(page, 'alert import errors');
  const advisory = {
    document: {
      category: 'csaf_security_advisory', csaf_version: '2.0',
      title: 'Browser test: remote code execution in Example Gateway',
      publisher: { name: 'Example CERT', category: 'coordinator', namespace: 'https://cert.example' },
      tracking: { id: 'EX-2026-0042' },
      notes: [{ category: 'summary', text: 'Update the gateway to 4.3.' }],
    },
    product_tree: { full_product_names: [{ name: 'Example Gateway 4.2', product_id: 'P1',
      product_identification_helper: { cpe: 'cpe:2.3:a:example:gateway:4.2:*:*:*:*:*:*:*' } }] },
    vulnerabilities: [{ cve: 'CVE-2026-12345', scores: [{ products: ['P1'], cvss_v3: { baseScore: 9.8 } }] }],
  };
  await page.setInputFiles('#file', {
    name: 'advisory.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(advisory)),
  });
  await page.click('main button[type=submit]');
  const imported = await page.textContent('main');
  check('the advisory imports as a draft', /Draft CC-\d+ created/.test(imported) && imported.includes('EX-2026-0042'));
  await axe(page, 'alert imported');
  await page.click('main a:has-text("Check and publish the draft")');
  check('the imported draft opens for editing',
    (await page.inputValue('#title')) === advisory.document.title && (await page.inputValue('#cves')).includes('CVE-2026-12345'));
  await axe(page, 'imported draft edit');
  await visit(page, '/no-such-page', 'not found page', 404);
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // The organisation lead's journey: their organisation, a new contact, and nothing foreign.
  await signIn(page, 'lead@example.nhs.uk');
  await axe(page, 'home (organisation lead)');
  check("the lead's home lists what needs doing", (await page.textContent('main')).includes('What needs doing'));
  check('the worklist leads to the unmitigated estate', (await page.locator('main table a[href="/organisations/R41/estate"]').count()) > 0);
  await visit(page, '/organisations/R41', 'lead: own organisation');
  await visit(page, '/organisations/R41/contacts/new', 'contact new');
  await page.fill('#name', 'Jo Bloggs');
  await page.selectOption('#role', 'dpo');
  await page.fill('#email', 'not-an-email');
  await page.fill('#mobile', '0113 496 0000');
  await page.click('form[action="/organisations/R41/contacts"] button[type=submit]');
  check('invalid contact names email and mobile', (await page.isVisible('a[href="#email"]')) && (await page.isVisible('a[href="#mobile"]')));
  await axe(page, 'contact form errors');
  await page.fill('#email', 'jo.bloggs@example.nhs.uk');
  await page.fill('#mobile', '07700 900456');
  await page.selectOption('#reminders', 'daily');
  await page.click('form[action="/organisations/R41/contacts"] button[type=submit]');
  await page.waitForURL(base + '/organisations/R41');
  const jo = await page.textContent('main table tr:has-text("Jo Bloggs")');
  check('the new contact is listed with the daily digest', jo.includes('One email a day (daily digest)'), jo);
  await page.click('a[href="/organisations/R41/assessments/' + year + '"]');
  check('the organisation page leads to its assessment', page.url().endsWith('/assessments/' + year));
  await axe(page, 'lead: assessment overview');
  await page.click('main table a >> nth=0');
  check('a section opens as a form', (await page.locator('main form input[type=checkbox]').count()) > 0);
  await axe(page, 'lead: assessment section');
  const box = page.locator('main form input[type=checkbox]:not(:checked)').first();
  await box.check();
  await page.click('main form button[type=submit]');
  await page.waitForURL(/saved=1/);
  check('a ticked indicator is saved', (await page.textContent('main')).includes('1 answer saved.'));
  await axe(page, 'lead: section saved');
  await visit(page, '/organisations/R41/assessments/' + year + '/plan', 'lead: improvement plan');
  check('the plan lists what Met still needs', (await page.locator('main fieldset textarea').count()) > 0);
  // The estate: the demo inventory's unsupported systems, a mitigation, a refused upload.
  await visit(page, '/organisations/R41/estate', 'lead: estate');
  const estate = await page.textContent('main');
  check('the estate lists unsupported Windows 7', estate.includes('Microsoft Windows 7 SP1') && estate.includes('None recorded'));
  await page.click('main a[href*="asset=WS-0001"]');
  await page.click('main button[type=submit]');
  check('a mitigation without an action names it', await page.isVisible('.nhsuk-error-summary a[href="#action"]'));
  await axe(page, 'lead: mitigation errors');
  await page.check('#action-isolate');
  await page.fill('#evidence', 'Moved to VLAN 99');
  await page.click('main button[type=submit]');
  await page.waitForURL(/\/estate$/);
  check('the mitigation shows on the estate', (await page.textContent('main')).includes('Isolate from the network'));
  await axe(page, 'lead: estate with a mitigation');
  await page.setInputFiles('#file', { name: 'inventory.csv', mimeType: 'text/csv', buffer: Buffer.from('asset,asset_type\nPC-1,workstation\n') });
  await page.click('main form[enctype] button[type=submit]');
  check('a bad inventory names the file', await page.isVisible('.nhsuk-error-summary a[href="#file"]'));
  await axe(page, 'lead: inventory refused');
  const foreign = await page.goto(base + '/organisations/R42');
  check('another organisation is not found for the lead', foreign.status() === 404);
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // A care provider's lead uploads an evidence document from the section page.
  await signIn(page, 'caregroup@example.nhs.uk');
  check("the care group's home covers its homes", (await page.textContent('main')).includes('organisations you act for'));
  await axe(page, 'home (care group lead)');
  await visit(page, '/organisations/CH000000/assessments/' + year + '/sections/1', 'care provider: ten-standard section');
  await page.setInputFiles('[id="answers.1.1.3"]', {
    name: 'privacy-notice.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'),
  });
  await page.click('button[form="upload-1.1.3"]');
  await page.waitForURL(/uploaded=1/);
  check('an evidence document uploads from its item', (await page.textContent('main')).includes('privacy-notice.pdf'));
  await axe(page, 'care provider: document uploaded');
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // The independent auditor's view of the trust's assessment.
  await signIn(page, 'auditor@example.nhs.uk');
  await visit(page, '/organisations/R41/assessments/' + year + '/independent-audit', 'auditor: independent audit');
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // The trust's lead acknowledges the alert.
  await signIn(page, 'lead@example.nhs.uk');
  await visit(page, '/alerts', 'lead: alerts');
  await page.click(`main a[href="${alertPath}/responses/R41"]`);
  await axe(page, 'lead: alert response');
  await page.click(`form[action="${alertPath}/responses/R41/acknowledge"] button`);
  check('the acknowledged response is in progress', (await page.textContent('main')).includes('In progress'));
  await axe(page, 'lead: response acknowledged');
  await visit(page, alertPath, 'lead: alert');

  // The lead reports an incident: the form says what the grade means before anything is sent.
  await visit(page, '/organisations/R41/incidents', 'lead: incidents');
  check('the demo incidents are listed', (await page.textContent('main')).includes('Ransomware on the imaging archive'));
  await visit(page, '/organisations/R41/incidents/new', 'lead: report an incident');
  await page.fill('#title', 'Denial of service on the patient portal');
  await page.click('button[value=notify]');
  check('an empty report names what is missing', (await page.isVisible('.nhsuk-error-summary a[href="#description"]'))
    && (await page.isVisible('.nhsuk-error-summary a[href="#aware_at"]')));
  await axe(page, 'lead: incident report errors');
  await page.fill('#description', 'The portal has been flooded with requests since 07:00.');
  await page.selectOption('#kind', 'denial_of_service');
  await page.fill('#started_at', '2025-06-14T07:00');
  await page.fill('#aware_at', '2025-06-14T07:30');
  await page.check('#cia-availability');
  await page.selectOption('#likelihood', 'occurred');
  await page.selectOption('#impact', 'adverse');
  await page.fill('#systems', 'Patient portal');
  await page.click('button[value=check]');
  const meaning = await page.textContent('main');
  check('checking the grade says what must be reported', meaning.includes('Reportable under the network and information systems rules')
    && meaning.includes('Not reportable to the data regulator'));
  await axe(page, 'lead: incident grade checked');
  await page.click('button[value=notify]');
  await page.waitForURL(/\/incidents\/INC-\d+$/);
  const caseText = await page.textContent('main');
  check('the notified case shows its late clocks', caseText.includes('Notified') && caseText.includes('Late by'));
  await axe(page, 'lead: incident case');
  await page.fill('#text', 'Traffic filtering is in place at the provider.');
  await page.check('#update-contained');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/updates"] button[type=submit]')]);
  check('an update is added to the timeline', (await page.textContent('main')).includes('Traffic filtering is in place'));
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // The national team's board, a case and its triage.
  await signIn(page, 'admin@example.nhs.uk');
  await visit(page, '/incidents', 'admin: incident board');
  check('the board lists notified incidents only', (await page.textContent('main')).includes('Denial of service on the patient portal')
    && !(await page.textContent('main')).includes('Suspicious sign-ins'));
  await visit(page, '/incidents?late=yes&open=yes', 'admin: late open incidents');
  await page.click('main a:has-text("Denial of service on the patient portal")');
  await axe(page, 'admin: incident case');
  await page.selectOption('#severity', 'medium');
  await page.fill('#assignee', 'analyst@example.nhs.uk');
  await page.fill('#note', 'Provider confirms filtering.');
  // The form posts and comes back to the same address: wait for that page, not the old one.
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/triage"] button[type=submit]')]);
  const triaged = await page.textContent('main');
  check('triage records severity and assignee', triaged.includes('analyst@example.nhs.uk') && triaged.includes('Triaged'));
  await axe(page, 'admin: incident triaged');
  // The denial-of-service playbook is offered first on this case; its steps become tasks.
  check('the case\'s own playbook comes first', (await page.locator('#key option').nth(1).textContent()).startsWith('Denial of service'));
  await page.selectOption('#key', 'denial-of-service');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/playbooks"] button[type=submit]')]);
  check('a playbook becomes the case\'s tasks', (await page.textContent('main')).includes('Confirm it is an attack, not a fault'));
  const firstTask = page.locator('form[action*="/tasks/"]').first();
  await firstTask.locator('select[name=state]').selectOption('done');
  await firstTask.locator('input[name=note]').fill('Provider confirmed the flood.');
  await Promise.all([page.waitForNavigation(), firstTask.locator('button[type=submit]').click()]);
  check('a task is marked done with who did it', (await page.textContent('main')).includes('Done by admin@example.nhs.uk'));
  await axe(page, 'admin: incident with playbook tasks');
  const caseUrl = page.url();
  await visit(page, '/playbooks', 'admin: playbooks');
  await page.click('main a:has-text("Ransomware")');
  check('a playbook page offers its CACAO export', (await page.textContent('main')).includes('Download as CACAO 2.0 JSON'));
  await axe(page, 'admin: a playbook');
  await page.goto(caseUrl);
  await page.click('form[action$="/alert"] button[type=submit]');
  await page.waitForURL(/\/alerts\/[^/]+\/edit$/);
  check('a case drafts an alert with its title', (await page.inputValue('#title')).includes('Denial of service on the patient portal'));
  await visit(page, '/incidents/figures', 'admin: incident figures');
  check('the figures count this year\'s incidents', (await page.textContent('main')).includes('Incidents notified in'));
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');

  // The public register needs no sign-in and shows statuses only.
  await visit(page, '/public', 'public register');
  await visit(page, '/public?q=R41', 'public register search');
  const found = await page.locator('main tbody tr').allTextContents();
  check('the public register finds an organisation by code', found.length === 1 && found[0].includes('R41'));
  // Published alerts are public too: the list, one alert with its history, and no draft.
  await visit(page, '/public/alerts', 'public alerts');
  const publicAlerts = await page.textContent('main');
  check('the public alert list shows the published Log4j alert', publicAlerts.includes('Log4Shell'));
  check('the public alert list hides drafts', !publicAlerts.includes('Citrix NetScaler'));
  await page.click('main a:has-text("Log4Shell")');
  check('a public alert shows what changed', (await page.textContent('main')).includes('Updated: remediation'));
  await axe(page, 'public alert');

  // The charter's signatories are public: suppliers in force, never a lapsed one.
  await visit(page, '/charter/signatories', 'public: charter signatories');
  const signatories = await page.textContent('main');
  check('the signatories list the demo supplier', signatories.includes('8J000'));
  check('a lapsed signature is not listed', !signatories.includes('8J003'));
  // The supplier's lead renews its signature; without the confirmation it is refused.
  await signIn(page, 'supplier@example.nhs.uk');
  await visit(page, '/organisations/8J000/charter', 'supplier: charter');
  check('the supplier sees its signature in force', (await page.textContent('main')).includes('Dana Whitfield'));
  await page.fill('#signatory_name', 'Dana Whitfield');
  await page.fill('#signatory_position', 'Chief Executive');
  await page.fill('#signed_on', new Date().toISOString().slice(0, 10));
  await page.click('form[action$="/charter/sign"] button[type=submit]');
  check('signing without the confirmation shows an error summary', await page.isVisible('.nhsuk-error-summary'));
  await axe(page, 'supplier: charter without confirmation');
  await page.check('#confirmation');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/charter/sign"] button[type=submit]')]);
  check('the renewed signature expires in a year', (await page.textContent('main')).includes(`${now.getUTCFullYear() + 1}-`));
  await visit(page, '/organisations/8J000/charter/commitments/mfa', 'supplier: a commitment');
  await page.fill('#statement', 'Every account signs in with a hardware key.');
  await page.fill('#expires_on', `${now.getUTCFullYear() + 1}-01-31`);
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  check('a statement without a document is not yet evidence', (await page.textContent('main')).includes('a statement, but no document yet'));
  await page.goto(base + '/organisations/8J000/charter/commitments/mfa');
  await page.setInputFiles('#file', { name: 'keys.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n') });
  await Promise.all([page.waitForNavigation(), page.click('form[enctype="multipart/form-data"] button[type=submit]')]);
  check('a statement and a document are evidence', (await page.textContent('main')).includes('Evidenced'));
  await axe(page, 'supplier: an evidenced commitment');
  await visit(page, '/charter', 'supplier: the charter');
  // The supplier's catalogue, with how many organisations use each version (never who).
  await visit(page, '/organisations/8J000/products', 'supplier: products and services');
  const catalogue = await page.textContent('main');
  check('the supplier sees its customers counted per version', catalogue.includes('4.2 (1)'));
  check('the supplier sees the SBOM of 4.2', catalogue.includes('SBOM of 4.2: 2 components'));
  // The trust sees its supplier's charter state and records another version it uses.
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');
  await signIn(page, 'lead@example.nhs.uk');
  await visit(page, '/organisations/R41/suppliers', 'trust: suppliers');
  const used = await page.textContent('main');
  check('the trust sees what it uses', used.includes('CareRecord 4.2') && used.includes('CareRecord Cloud'));
  check('the trust sees its supplier has signed the charter', used.includes('Signed'));
  await page.fill('#supplier_code', '8J000');
  await page.fill('#product', 'CareRecord');
  await page.fill('#version', '9.9');
  await page.click('form[action$="/suppliers"] button[type=submit]');
  check('an unknown version shows an error summary', await page.isVisible('.nhsuk-error-summary'));
  await axe(page, 'trust: suppliers with an error');
  await page.fill('#version', '4.3');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/suppliers"] button[type=submit]')]);
  check('the trust records a second version', (await page.textContent('main')).includes('CareRecord 4.3'));
  check('the trust sees its supplier\'s incident notice', (await page.textContent('main')).includes('Reset CareRecord Cloud service accounts'));
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/acknowledge"] button[type=submit]')]);
  check('the trust acknowledges the notice', (await page.textContent('main')).includes('Acknowledged '));
  // The national view of suppliers, and a supplier's customers by name.
  await page.goto(base + '/');
  await page.click('.nhsuk-header__account-button');
  await page.waitForURL(base + '/sign-in');
  await signIn(page, 'analyst@example.nhs.uk');
  await visit(page, '/charter/figures', 'analyst: suppliers nationally');
  const national = await page.textContent('main');
  check('the national view counts the suppliers in force', national.includes('active IT suppliers have a signature in force'));
  check('the national view lists the supplier\'s notice', national.includes('Reset CareRecord Cloud service accounts'));
  await page.click('main a:has-text("Reset CareRecord Cloud service accounts")');
  check('the notice shows who acknowledged it', (await page.textContent('main')).includes('1 acknowledged'));
  await axe(page, 'analyst: a supplier incident notice');
  await visit(page, '/estate/exposure?cve=CVE-2021-44228', 'analyst: exposure through a supplier');
  const through = await page.textContent('main');
  check('the trust is exposed through its supplier\'s product', through.includes('through supplier product CareRecord 4.2 (8J000)'));
  check('a supplier\'s VEX leaves its fixed version out, saying why', through.includes('CareRecord 4.1 (8J000): CVE-2021-44228 fixed'));
  await visit(page, '/organisations/8J000/customers', 'analyst: a supplier\'s customers');
  check('the analyst sees the supplier\'s customers by name', (await page.textContent('main')).includes('Wickham'));
  check('no request left this host', foreignHosts.size === 0, [...foreignHosts].join(', '));

  if (oidcIssuer) {
    // Single sign-on, in a browser of its own (its requests go to the provider by design).
    const sso = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } })).newPage();
    await visit(sso, '/sign-in', 'sign-in with an identity provider');
    check('the sign-in page offers the provider', (await sso.textContent('main')).includes('Sign in with the local test identity provider'));
    await Promise.all([
      sso.waitForURL((u) => u.toString().startsWith(oidcIssuer)),
      sso.click('main a:has-text("Sign in with the local test identity provider")'),
    ]);
    await sso.fill('input[name=login]', 'r41-lead');
    await sso.fill('input[name=password]', 'any password');
    await sso.click('button[type=submit]');
    await sso.waitForURL(base + '/');
    const home = await sso.textContent('main');
    check('single sign-on makes a lead of R41 from the claims', home.includes('What needs doing'), home.slice(0, 200));
    await axe(sso, 'home after single sign-on');
    // The national administrator sees the linked account on the person's page.
    const admin = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } })).newPage();
    await signIn(admin, 'admin@example.nhs.uk');
    await admin.goto(base + '/people?q=' + encodeURIComponent('Sam Single'));
    await Promise.all([admin.waitForNavigation(), admin.click('main a:has-text("Sam Single Sign-On")')]);
    const person = await admin.textContent('main');
    check('the person page shows the linked account', person.includes(oidcIssuer) && person.includes('r41-lead'));
    await axe(admin, 'person with a linked account');
  }
} finally {
  await browser.close();
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
