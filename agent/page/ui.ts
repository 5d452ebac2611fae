// The local page: one HTML document, its script and strings inline (the agent is one file), in Uzbek (Latin,
// default), Russian and English. It talks only to the agent that served it, with this launch's token.

export const MESSAGES = {
  uz: {
    title: 'Posbon LAN agenti', pair: '1. Ulash', pairHint: 'Konsoldagi ulash havolasini yoki kodni kiriting', pairDo: 'Ulash', paired: 'Ulangan maktab',
    scan: '2. Tarmoqni skanerlash', scanDo: 'Skanerlash', pick: '3. Qurilmalarni tanlang', ip: 'IP', kind: 'Turi', model: 'Model', serial: 'Seriya raqami', ports: 'Portlar',
    credentials: '4. Login va kameralar', camerasDo: 'Kameralarni o‘qish',
    guidance: '5. Router sozlamalari', guidanceDo: 'Sozlamalarni ko‘rsatish', forward: 'Tashqi port → LAN manzil:port', allow: 'Faqat shu manzillardan ruxsat bering', unplaced: 'Tashqi port qolmadi, tunneldan foydalaning',
    test: '6. Media tugunidan tekshirish', publicHost: 'Routerning tashqi manzili', testDo: 'Tekshirish',
    submit: '7. Yuborish', nvrName: 'NVR nomi', submitDo: 'Taklif yuborish', proposal: 'Taklif',
    provision: '8. FaceID terminali', provisionDo: 'Sozlash va birinchi hodisani kutish', diagnose: '9. Tashxis', diagnoseDo: 'Tekshirish',
    done: 'Tayyor', off: 'Skanerlash o‘chirilgan', clockSkew: 'Soat farqi (s)', vendor: 'Ishlab chiqaruvchi', device: 'Qurilma nomi', host: 'LAN manzil', user: 'Foydalanuvchi', password: 'Parol', firstPush: 'Birinchi hodisa',
    manualSteps: 'Terminalda sozlang', interfaces: 'Tarmoq interfeyslari', gateway: 'Shlyuz', dns: 'DNS', seenByApi: 'API ko‘rgan manzil', routerWan: 'Routerning WAN manzili', mediaNode: 'Media tugun', nvrs: 'NVRlar', cameras: 'Kameralar', unknown: 'noma’lum', raw: 'To‘liq hisobot (yordam uchun)',
    'no-nat-beyond-router': 'Routerdan keyin NAT yo‘q: portlarni yo‘naltirish ishlaydi',
    cgnat: 'CGNAT: provayder manzilni bo‘lishadi (100.64.0.0/10), portlarni yo‘naltirish ishlamaydi: tunneldan foydalaning',
    'double-nat-or-cgnat': 'Ikki marta NAT yoki CGNAT: routerning WAN manzili API ko‘rgan manzildan farq qiladi',
    'router-wan-unknown': 'Routerning WAN manzili noma’lum',
  },
  ru: {
    title: 'LAN-агент Posbon', pair: '1. Подключение', pairHint: 'Вставьте ссылку подключения или код из консоли', pairDo: 'Подключить', paired: 'Подключённая школа',
    scan: '2. Сканирование сети', scanDo: 'Сканировать', pick: '3. Выберите устройства', ip: 'IP', kind: 'Тип', model: 'Модель', serial: 'Серийный номер', ports: 'Порты',
    credentials: '4. Учётные данные и камеры', camerasDo: 'Прочитать камеры',
    guidance: '5. Настройка роутера', guidanceDo: 'Показать настройки', forward: 'Внешний порт → адрес:порт в LAN', allow: 'Разрешить только с этих адресов', unplaced: 'Внешних портов не осталось, используйте туннель',
    test: '6. Проверка с медиаузла', publicHost: 'Внешний адрес роутера', testDo: 'Проверить',
    submit: '7. Отправка', nvrName: 'Имя NVR', submitDo: 'Отправить предложение', proposal: 'Предложение',
    provision: '8. Терминал FaceID', provisionDo: 'Настроить и ждать первое событие', diagnose: '9. Диагностика', diagnoseDo: 'Проверить',
    done: 'Готово', off: 'Сканирование выключено', clockSkew: 'Расхождение часов (с)', vendor: 'Производитель', device: 'Имя устройства', host: 'Адрес в LAN', user: 'Пользователь', password: 'Пароль', firstPush: 'Первое событие',
    manualSteps: 'Задайте на терминале', interfaces: 'Сетевые интерфейсы', gateway: 'Шлюз', dns: 'DNS', seenByApi: 'Адрес, который видит API', routerWan: 'WAN-адрес роутера', mediaNode: 'Медиаузел', nvrs: 'NVR', cameras: 'Камеры', unknown: 'неизвестно', raw: 'Полный отчёт (для поддержки)',
    'no-nat-beyond-router': 'За роутером NAT нет: проброс портов сработает',
    cgnat: 'CGNAT: провайдер делит адрес (100.64.0.0/10), проброс портов не сработает: используйте туннель',
    'double-nat-or-cgnat': 'Двойной NAT или CGNAT: WAN-адрес роутера не тот, что видит API',
    'router-wan-unknown': 'WAN-адрес роутера неизвестен',
  },
  en: {
    title: 'Posbon LAN agent', pair: '1. Pair', pairHint: 'Paste the pairing link or code from the console', pairDo: 'Pair', paired: 'Paired school',
    scan: '2. Scan the network', scanDo: 'Scan', pick: '3. Pick devices', ip: 'IP', kind: 'Kind', model: 'Model', serial: 'Serial', ports: 'Ports',
    credentials: '4. Credentials and cameras', camerasDo: 'Read cameras',
    guidance: '5. Router settings', guidanceDo: 'Show the settings', forward: 'Public port → LAN address:port', allow: 'Admit only these addresses', unplaced: 'No public port left, use the tunnel',
    test: '6. Test from the media node', publicHost: 'The router\'s public address', testDo: 'Test',
    submit: '7. Submit', nvrName: 'NVR name', submitDo: 'Propose', proposal: 'Proposal',
    provision: '8. FaceID terminal', provisionDo: 'Set up and wait for the first event', diagnose: '9. Diagnostics', diagnoseDo: 'Check',
    done: 'Done', off: 'Scanning is off', clockSkew: 'Clock skew (s)', vendor: 'Vendor', device: 'Device name', host: 'LAN address', user: 'Username', password: 'Password', firstPush: 'First event',
    manualSteps: 'Set on the terminal', interfaces: 'Network interfaces', gateway: 'Gateway', dns: 'DNS', seenByApi: 'Address the API sees', routerWan: 'Router WAN address', mediaNode: 'Media node', nvrs: 'NVRs', cameras: 'Cameras', unknown: 'unknown', raw: 'Full report (for support)',
    'no-nat-beyond-router': 'No NAT beyond the router: port forwarding will work',
    cgnat: 'CGNAT: the provider shares the address (100.64.0.0/10); port forwarding cannot work: use the tunnel',
    'double-nat-or-cgnat': 'Double NAT or CGNAT: the router\'s WAN address is not the one the API sees',
    'router-wan-unknown': 'Router WAN address unknown',
  },
} as const;

const SCRIPT = String.raw`
const M = JSON.parse(document.getElementById('messages').textContent);
const token = new URLSearchParams(location.search).get('t');
history.replaceState(null, '', '/');
let lang = 'uz';
const $ = (s) => document.querySelector(s);
const t = (k) => M[lang][k];
function paint() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const [sel, draw] of live) draw($(sel));
}
async function api(method, path, body) {
  const res = await fetch('/api/' + path, { method, headers: { 'x-posbon-launch': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const out = await res.json();
  if (!res.ok) throw new Error(out.error || res.status);
  return out;
}
// A result drawn from the current language is kept with its drawing, and drawn again when the language changes.
const live = new Map();
function show(sel, draw, failed) { const el = $(sel); live.set(sel, draw); el.dataset.state = failed ? 'failed' : 'ok'; draw(el); }
const say = (sel, text, failed) => { live.delete(sel); const el = $(sel); el.textContent = text; el.dataset.state = failed ? 'failed' : 'ok'; };
function drawReport(el, r) {
  el.textContent = '';
  const row = (k, v) => { const dt = document.createElement('dt'); dt.textContent = t(k); const dd = document.createElement('dd'); dd.textContent = v || t('unknown'); el.append(dt, dd); };
  row('interfaces', r.lan.interfaces.map((i) => i.name + ' ' + i.address + '/' + i.prefix).join(', '));
  row('gateway', r.lan.gatewayAddress);
  row('dns', r.lan.dns.join(', '));
  row('seenByApi', r.publicAddress.seenByApi);
  row('routerWan', r.publicAddress.routerWan && r.publicAddress.routerWan.address + ' (' + r.publicAddress.routerWan.via + ')');
  row('mediaNode', r.mediaNode.name);
  row('nvrs', r.nvrs.map((n) => n.id + ': ' + n.reason).join(', ') || '—');
  row('cameras', String(r.cameras.length));
}
let devices = [];
let cameras = [];
let forwards = [];
async function status() {
  const s = await api('GET', 'status');
  if (s.paired) { say('#paired', s.schoolId + ' (' + (s.mediaNode || '-') + ')'); if (!$('#public-host').value) $('#public-host').value = s.publicAddress; }
  return s;
}
$('#lang').addEventListener('change', (e) => { lang = e.target.value; paint(); });
$('#pair-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try { const out = await api('POST', 'pair', { link: $('#pair-link').value.trim() }); say('#paired', out.schoolId); await status(); }
  catch (error) { say('#pair-error', String(error.message), true); }
});
$('#scan-do').addEventListener('click', async () => {
  try {
    await api('POST', 'scan');
    for (;;) {
      const s = await api('GET', 'scan');
      $('#scan-progress').max = s.progress.total || 1; $('#scan-progress').value = s.progress.done;
      $('#scan-status').textContent = s.progress.phase + ' ' + s.progress.done + '/' + s.progress.total;
      if (s.error) { say('#scan-result', s.error, true); return; }
      if (s.report) { devices = s.report.devices; renderDevices(); say('#scan-result', s.report.devices.length + ' / ' + s.report.hostsScanned); return; }
      await new Promise((r) => setTimeout(r, 300));
    }
  } catch (error) { say('#scan-result', String(error.message), true); }
});
const cell = (text) => { const td = document.createElement('td'); td.textContent = text; return td; };
function renderDevices() {
  const list = $('#devices tbody'); list.textContent = '';
  for (const d of devices) {
    const tr = document.createElement('tr');
    const box = document.createElement('input'); box.type = 'checkbox'; box.value = d.ip; box.id = 'd-' + d.ip; box.setAttribute('aria-label', d.ip);
    const pick = document.createElement('td'); pick.append(box);
    const ports = [['rtsp', d.rtspPort], ['http', d.httpPort], ['onvif', d.onvifPort]].filter((p) => p[1]).map((p) => p[0] + ' ' + p[1]).join(', ');
    tr.append(pick, cell(d.ip), cell(d.vendor), cell(d.kind), cell(d.model || ''), cell(d.serial || ''), cell(ports));
    list.append(tr);
  }
}
const chosen = () => [...document.querySelectorAll('#devices input:checked')].map((b) => devices.find((d) => d.ip === b.value));
const nvr = () => chosen().find((d) => d.onvifPort);
const login = () => ({ username: $('#c-user').value, password: $('#c-password').value });
const forwardOf = (d, what) => (forwards.find((f) => f.lanHost === d.ip && f.what === what) || {}).publicPort;
$('#cameras-do').addEventListener('click', async () => {
  try {
    const d = nvr(); if (!d) throw new Error('pick a device with ONVIF');
    const out = await api('POST', 'cameras', { host: d.ip, onvifPort: d.onvifPort, ...login() });
    cameras = out.cameras;
    const list = $('#cameras'); list.textContent = '';
    for (const c of cameras) { const li = document.createElement('li'); li.textContent = [c.id, c.name, c.mainPath, c.codec, c.width && c.width + 'x' + c.height].filter(Boolean).join(' '); list.append(li); }
    say('#cameras-result', (out.device.manufacturer || '') + ' ' + (out.device.model || '') + ' ' + (out.device.serialNumber || ''));
  } catch (error) { say('#cameras-result', String(error.message), true); }
});
$('#guidance-do').addEventListener('click', async () => {
  const g = await api('POST', 'guidance', { devices: chosen().map((d) => ({ ip: d.ip, rtspPort: d.rtspPort, onvifPort: d.onvifPort })) });
  forwards = g.forwards;
  $('#forwards').textContent = g.forwards.map((f) => f.publicPort + '/' + f.protocol + ' → ' + f.lanHost + ':' + f.lanPort + ' (' + f.what + ')').join('\n');
  $('#allow').textContent = g.allowFrom.join(', ');
  show('#unplaced', (el) => { el.textContent = g.unplaced.length ? t('unplaced') + ': ' + g.unplaced.join(', ') : ''; }, g.unplaced.length > 0);
});
const mapping = () => { const d = nvr(); return { d, publicHost: $('#public-host').value.trim(), rtspPort: forwardOf(d, 'rtsp'), onvifPort: forwardOf(d, 'onvif') }; };
$('#test-do').addEventListener('click', async () => {
  $('#test-progress').removeAttribute('value');
  try {
    const m = mapping();
    const out = await api('POST', 'test', { publicHost: m.publicHost, rtspPort: m.rtspPort, onvifPort: m.onvifPort, path: cameras[0] && cameras[0].mainPath, ...login() });
    const line = (k) => out[k] ? k + ': ' + out[k].reason + (out[k].message ? ' (' + out[k].message + ')' : '') : '';
    $('#test-progress').value = 1;
    say('#test-result', [line('rtsp'), line('onvif')].filter(Boolean).join('; '), out.rtsp.reason !== 'Ok' || (out.onvif && out.onvif.reason !== 'Ok'));
  } catch (error) { $('#test-progress').value = 0; say('#test-result', String(error.message), true); }
});
$('#submit-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const m = mapping();
    const out = await api('POST', 'submit', { name: $('#nvr-name').value.trim(), lanHost: m.d.ip, lanOnvifPort: m.d.onvifPort, publicHost: m.publicHost, publicRtspPort: m.rtspPort, publicOnvifPort: m.onvifPort, ...login() });
    const link = document.createElement('a'); link.href = out.proposal.url; link.textContent = '#' + out.proposal.number; link.rel = 'noreferrer'; link.target = '_blank';
    const branch = document.createElement('code'); branch.textContent = out.proposal.branch;
    const p = $('#proposal'); p.textContent = ''; p.append(link, ' ', branch, ' — ' + out.mediaNode + ': ' + out.cameras.map((c) => c.name).join(', '));
    p.dataset.state = 'ok';
  } catch (error) { say('#proposal', String(error.message), true); }
});
$('#provision-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('#provision-progress').removeAttribute('value');
  try {
    const out = await api('POST', 'provision', { vendor: $('#p-vendor').value, device: $('#p-device').value, host: $('#p-host').value, port: Number($('#p-port').value), username: $('#p-user').value, password: $('#p-password').value, waitS: 120 });
    $('#provision-progress').value = 1;
    const steps = (out.manualSteps || []).map((m) => m.setting + ' = ' + m.value).join('; ');
    show('#provision-result', (el) => { el.textContent = out.firstPushAt ? t('firstPush') + ': ' + out.firstPushAt : t('manualSteps') + ': ' + steps; });
  } catch (error) { $('#provision-progress').value = 0; say('#provision-result', String(error.message), true); }
});
$('#diagnose-do').addEventListener('click', async () => {
  try {
    const d = await api('POST', 'diagnose');
    show('#diagnose-result', (el) => { el.textContent = t('clockSkew') + ': ' + d.clockSkewSeconds + '; ' + d.lan + '; ' + t(d.nat); }, !d.report.clock.ok || d.nat === 'cgnat');
    show('#diagnose-summary', (el) => drawReport(el, d.report));
    $('#diagnose-report').textContent = JSON.stringify(d.report, null, 2); $('#diagnose-report').dataset.uploaded = d.uploaded;
  }
  catch (error) { say('#diagnose-result', String(error.message), true); }
});
paint();
status().catch((error) => say('#pair-error', String(error.message), true));
`;

const STYLE = 'body{font:16px system-ui,sans-serif;max-width:52rem;margin:1rem auto;padding:0 1rem}section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:.75rem 0}[data-state=failed]{color:#a00}progress{width:100%}pre{white-space:pre-wrap}table{border-collapse:collapse}dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dd{margin:0}td,th{padding:.1rem .4rem;text-align:left}';

export function pageHtml(nonce: string): string {
  const field = (id: string, key: string, type = 'text') => `<label><span data-t="${key}"></span> <input id="${id}" type="${type}" autocomplete="off"></label>`;
  return `<!doctype html><html lang="uz"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Posbon</title><style nonce="${nonce}">${STYLE}</style></head><body>
<header><h1 data-t="title"></h1><label>🌐 <select id="lang" aria-label="Language"><option value="uz">O‘zbekcha</option><option value="ru">Русский</option><option value="en">English</option></select></label></header>
<main>
<section id="step-pair"><h2 data-t="pair"></h2><form id="pair-form"><label><span data-t="pairHint"></span> <input id="pair-link" required autocomplete="off"></label> <button data-t="pairDo"></button></form><p><span data-t="paired"></span>: <output id="paired">—</output></p><p role="alert" id="pair-error"></p></section>
<section id="step-scan"><h2 data-t="scan"></h2><button id="scan-do" type="button" data-t="scanDo"></button><progress id="scan-progress" value="0" max="1" aria-label="scan"></progress><output id="scan-status"></output><p id="scan-result" role="status"></p></section>
<section id="step-pick"><h2 data-t="pick"></h2><table id="devices"><thead><tr><th></th><th data-t="ip"></th><th data-t="vendor"></th><th data-t="kind"></th><th data-t="model"></th><th data-t="serial"></th><th data-t="ports"></th></tr></thead><tbody></tbody></table></section>
<section id="step-credentials"><h2 data-t="credentials"></h2>${field('c-user', 'user')} ${field('c-password', 'password', 'password')} <button id="cameras-do" type="button" data-t="camerasDo"></button><p id="cameras-result" role="status"></p><ul id="cameras"></ul></section>
<section id="step-guidance"><h2 data-t="guidance"></h2><button id="guidance-do" type="button" data-t="guidanceDo"></button><h3 data-t="forward"></h3><pre id="forwards"></pre><h3 data-t="allow"></h3><pre id="allow"></pre><p id="unplaced" role="status"></p></section>
<section id="step-test"><h2 data-t="test"></h2>${field('public-host', 'publicHost')} <button id="test-do" type="button" data-t="testDo"></button><progress id="test-progress" value="0" max="1"></progress><p id="test-result" role="status"></p></section>
<section id="step-submit"><h2 data-t="submit"></h2><form id="submit-form">${field('nvr-name', 'nvrName')} <button data-t="submitDo"></button></form><p><span data-t="proposal"></span>: <output id="proposal"></output></p></section>
<section id="step-provision"><h2 data-t="provision"></h2><form id="provision-form">
<label><span data-t="vendor"></span> <select id="p-vendor"><option>hikvision</option><option>dahua</option><option>zkteco</option></select></label>
${field('p-device', 'device')} ${field('p-host', 'host')} <input id="p-port" type="number" value="80" aria-label="port"> ${field('p-user', 'user')} ${field('p-password', 'password', 'password')}
<button data-t="provisionDo"></button></form><progress id="provision-progress" value="0" max="1"></progress><p id="provision-result" role="status"></p></section>
<section id="step-diagnose"><h2 data-t="diagnose"></h2><button id="diagnose-do" type="button" data-t="diagnoseDo"></button><p id="diagnose-result" role="status"></p><dl id="diagnose-summary"></dl><details><summary data-t="raw"></summary><pre id="diagnose-report"></pre></details></section>
</main>
<script type="application/json" id="messages">${JSON.stringify(MESSAGES)}</script>
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
}
