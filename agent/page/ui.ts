// The local page: one HTML document, its script and strings inline (the agent is one file), in Uzbek (Latin,
// default), Russian and English. It talks only to the agent that served it, with this launch's token.

export const MESSAGES = {
  uz: {
    title: 'Posbon LAN agenti', pair: '1. Ulash', pairHint: 'Konsoldagi ulash havolasini yoki kodni kiriting', pairDo: 'Ulash', paired: 'Ulangan maktab',
    scan: '2. Tarmoqni skanerlash', scanDo: 'Skanerlash', pick: '3. Qurilmalarni tanlang', guidance: '4. Router sozlamalari', forward: 'Tashqi port → LAN manzil:port',
    allow: 'Faqat shu manzillardan ruxsat bering', provision: '5. FaceID terminali', provisionDo: 'Sozlash va birinchi hodisani kutish', diagnose: '6. Tashxis', diagnoseDo: 'Tekshirish',
    done: 'Tayyor', off: 'Skanerlash o‘chirilgan', clockSkew: 'Soat farqi (s)', vendor: 'Ishlab chiqaruvchi', device: 'Qurilma nomi', host: 'LAN manzil', user: 'Foydalanuvchi', password: 'Parol', firstPush: 'Birinchi hodisa',
  },
  ru: {
    title: 'LAN-агент Posbon', pair: '1. Подключение', pairHint: 'Вставьте ссылку подключения или код из консоли', pairDo: 'Подключить', paired: 'Подключённая школа',
    scan: '2. Сканирование сети', scanDo: 'Сканировать', pick: '3. Выберите устройства', guidance: '4. Настройка роутера', forward: 'Внешний порт → адрес:порт в LAN',
    allow: 'Разрешить только с этих адресов', provision: '5. Терминал FaceID', provisionDo: 'Настроить и ждать первое событие', diagnose: '6. Диагностика', diagnoseDo: 'Проверить',
    done: 'Готово', off: 'Сканирование выключено', clockSkew: 'Расхождение часов (с)', vendor: 'Производитель', device: 'Имя устройства', host: 'Адрес в LAN', user: 'Пользователь', password: 'Пароль', firstPush: 'Первое событие',
  },
  en: {
    title: 'Posbon LAN agent', pair: '1. Pair', pairHint: 'Paste the pairing link or code from the console', pairDo: 'Pair', paired: 'Paired school',
    scan: '2. Scan the network', scanDo: 'Scan', pick: '3. Pick devices', guidance: '4. Router settings', forward: 'Public port → LAN address:port',
    allow: 'Admit only these addresses', provision: '5. FaceID terminal', provisionDo: 'Set up and wait for the first event', diagnose: '6. Diagnostics', diagnoseDo: 'Check',
    done: 'Done', off: 'Scanning is off', clockSkew: 'Clock skew (s)', vendor: 'Vendor', device: 'Device name', host: 'LAN address', user: 'Username', password: 'Password', firstPush: 'First event',
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
}
async function api(method, path, body) {
  const res = await fetch('/api/' + path, { method, headers: { 'x-posbon-launch': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const out = await res.json();
  if (!res.ok) throw new Error(out.error || res.status);
  return out;
}
const say = (sel, text, failed) => { const el = $(sel); el.textContent = text; el.dataset.state = failed ? 'failed' : 'ok'; };
let devices = [];
async function status() {
  const s = await api('GET', 'status');
  if (s.paired) say('#paired', s.schoolId + ' (' + (s.mediaNode || '-') + ')');
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
      if (s.error) { say('#scan-result', s.error, true); return; }
      if (s.report) { devices = s.report.devices; renderDevices(); say('#scan-result', s.report.devices.length + ' / ' + s.report.hostsScanned); return; }
      await new Promise((r) => setTimeout(r, 300));
    }
  } catch (error) { say('#scan-result', String(error.message), true); }
});
function renderDevices() {
  const list = $('#devices'); list.textContent = '';
  for (const d of devices) {
    const li = document.createElement('li');
    const box = document.createElement('input'); box.type = 'checkbox'; box.value = d.ip; box.id = 'd-' + d.ip;
    const label = document.createElement('label'); label.htmlFor = box.id; label.textContent = d.ip + ' ' + d.vendor + ' ' + (d.model || '') + ' ' + (d.serial || '');
    li.append(box, label); list.append(li);
  }
}
$('#guidance-do').addEventListener('click', async () => {
  const chosen = [...document.querySelectorAll('#devices input:checked')].map((b) => devices.find((d) => d.ip === b.value));
  const g = await api('POST', 'guidance', { devices: chosen.map((d) => ({ ip: d.ip, rtspPort: d.rtspPort, onvifPort: d.onvifPort })) });
  $('#forwards').textContent = g.forwards.map((f) => f.publicPort + '/' + f.protocol + ' → ' + f.lanHost + ':' + f.lanPort + ' (' + f.what + ')').join('\n');
  $('#allow').textContent = g.allowFrom.join(', ');
});
$('#provision-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('#provision-progress').removeAttribute('value');
  try {
    const out = await api('POST', 'provision', { vendor: $('#p-vendor').value, device: $('#p-device').value, host: $('#p-host').value, port: Number($('#p-port').value), username: $('#p-user').value, password: $('#p-password').value, waitS: 120 });
    $('#provision-progress').value = 1;
    say('#provision-result', out.firstPushAt ? t('firstPush') + ': ' + out.firstPushAt : JSON.stringify(out.manualSteps || out));
  } catch (error) { $('#provision-progress').value = 0; say('#provision-result', String(error.message), true); }
});
$('#diagnose-do').addEventListener('click', async () => {
  try { const d = await api('POST', 'diagnose'); say('#diagnose-result', t('clockSkew') + ': ' + d.clockSkewSeconds + '; ' + d.lan); $('#diagnose-report').textContent = JSON.stringify(d.report, null, 2); $('#diagnose-report').dataset.uploaded = d.uploaded; }
  catch (error) { say('#diagnose-result', String(error.message), true); }
});
paint();
status().catch((error) => say('#pair-error', String(error.message), true));
`;

const STYLE = 'body{font:16px system-ui,sans-serif;max-width:52rem;margin:1rem auto;padding:0 1rem}section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:.75rem 0}[data-state=failed]{color:#a00}progress{width:100%}pre{white-space:pre-wrap}';

export function pageHtml(nonce: string): string {
  const field = (id: string, key: string, type = 'text') => `<label><span data-t="${key}"></span> <input id="${id}" type="${type}" autocomplete="off"></label>`;
  return `<!doctype html><html lang="uz"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Posbon</title><style nonce="${nonce}">${STYLE}</style></head><body>
<header><h1 data-t="title"></h1><label>🌐 <select id="lang" aria-label="Language"><option value="uz">O‘zbekcha</option><option value="ru">Русский</option><option value="en">English</option></select></label></header>
<main>
<section id="step-pair"><h2 data-t="pair"></h2><form id="pair-form"><label><span data-t="pairHint"></span> <input id="pair-link" required autocomplete="off"></label> <button data-t="pairDo"></button></form><p><span data-t="paired"></span>: <output id="paired">—</output></p><p role="alert" id="pair-error"></p></section>
<section id="step-scan"><h2 data-t="scan"></h2><button id="scan-do" type="button" data-t="scanDo"></button><progress id="scan-progress" value="0" max="1"></progress><p id="scan-result" role="status"></p></section>
<section id="step-pick"><h2 data-t="pick"></h2><ul id="devices"></ul></section>
<section id="step-guidance"><h2 data-t="guidance"></h2><button id="guidance-do" type="button" data-t="guidance"></button><h3 data-t="forward"></h3><pre id="forwards"></pre><h3 data-t="allow"></h3><pre id="allow"></pre></section>
<section id="step-provision"><h2 data-t="provision"></h2><form id="provision-form">
<label><span data-t="vendor"></span> <select id="p-vendor"><option>hikvision</option><option>dahua</option><option>zkteco</option></select></label>
${field('p-device', 'device')} ${field('p-host', 'host')} <input id="p-port" type="number" value="80" aria-label="port"> ${field('p-user', 'user')} ${field('p-password', 'password', 'password')}
<button data-t="provisionDo"></button></form><progress id="provision-progress" value="0" max="1"></progress><p id="provision-result" role="status"></p></section>
<section id="step-diagnose"><h2 data-t="diagnose"></h2><button id="diagnose-do" type="button" data-t="diagnoseDo"></button><p id="diagnose-result" role="status"></p><pre id="diagnose-report"></pre></section>
</main>
<script type="application/json" id="messages">${JSON.stringify(MESSAGES)}</script>
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
}
