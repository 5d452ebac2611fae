// Uzbek (Latin) by default, Russian and English; the choice is kept in localStorage.
import { signal } from './state.js';

export const LANGUAGES = ['uz', 'ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const KEY = 'posbon.lang';

const stored = (): Language => {
  const value = globalThis.localStorage?.getItem(KEY);
  return (LANGUAGES as readonly string[]).includes(value ?? '') ? (value as Language) : 'uz';
};

export const language = signal<Language>(stored());

export function setLanguage(next: Language): void {
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  language.set(next);
}

type Entry = Record<Language, string>;
const M = {
  appName: { uz: 'Posbon', ru: 'Posbon', en: 'Posbon' },
  language: { uz: 'Til', ru: 'Язык', en: 'Language' },
  skip: { uz: 'Asosiy qismga o‘tish', ru: 'Перейти к содержимому', en: 'Skip to content' },
  mainNav: { uz: 'Asosiy menyu', ru: 'Главное меню', en: 'Main menu' },
  login: { uz: 'Kirish', ru: 'Вход', en: 'Sign in' },
  logout: { uz: 'Chiqish', ru: 'Выйти', en: 'Sign out' },
  username: { uz: 'Foydalanuvchi nomi', ru: 'Имя пользователя', en: 'Username' },
  password: { uz: 'Parol', ru: 'Пароль', en: 'Password' },
  totp: { uz: 'Bir martalik kod (autentifikator ilovasidan)', ru: 'Одноразовый код (из приложения-аутентификатора)', en: 'One-time code (from your authenticator app)' },
  totpHint: { uz: 'Administratorlar uchun majburiy', ru: 'Обязателен для администраторов', en: 'Required for administrators' },
  signedInAs: { uz: 'Siz: {user} ({role})', ru: 'Вы: {user} ({role})', en: 'Signed in as {user} ({role})' },
  loading: { uz: 'Yuklanmoqda…', ru: 'Загрузка…', en: 'Loading…' },
  refused: { uz: 'Server rad etdi ({status}): {message}', ru: 'Сервер отказал ({status}): {message}', en: 'The server refused ({status}): {message}' },
  requestId: { uz: 'So‘rov raqami', ru: 'Номер запроса', en: 'Request id' },
  schools: { uz: 'Maktablar', ru: 'Школы', en: 'Schools' },
  school: { uz: 'Maktab', ru: 'Школа', en: 'School' },
  mediaNode: { uz: 'Media tugun', ru: 'Медиаузел', en: 'Media node' },
  mediaNodes: { uz: 'Media tugunlar', ru: 'Медиаузлы', en: 'Media nodes' },
  allowlist: { uz: 'Routerda ruxsat beriladigan IP manzillar', ru: 'IP-адреса для разрешения на роутере', en: 'IPs the router must allow' },
  cameras: { uz: 'Kameralar', ru: 'Камеры', en: 'Cameras' },
  region: { uz: 'Hudud', ru: 'Регион', en: 'Region' },
  status: { uz: 'Holat', ru: 'Состояние', en: 'Status' },
  none: { uz: 'yo‘q', ru: 'нет', en: 'none' },
  noStatusYet: {
    uz: 'Hali holat yo‘q: operator bu obyektni hali ko‘rib chiqmagan',
    ru: 'Состояния пока нет: оператор ещё не обработал этот объект',
    en: 'No status yet: the operator has not reconciled this object',
  },
  noItems: { uz: 'Hech narsa yo‘q.', ru: 'Ничего нет.', en: 'Nothing here.' },
  nvrs: { uz: 'Videoregistratorlar (NVR)', ru: 'Видеорегистраторы (NVR)', en: 'NVRs' },
  vendor: { uz: 'Ishlab chiqaruvchi', ru: 'Производитель', en: 'Vendor' },
  address: { uz: 'Manzil', ru: 'Адрес', en: 'Address' },
  reachability: { uz: 'Ulanish', ru: 'Доступность', en: 'Reachability' },
  notChecked: { uz: 'Hali tekshirilmagan', ru: 'Ещё не проверялся', en: 'Not checked yet' },
  testConnection: { uz: 'Media tugundan tekshirish', ru: 'Проверить с медиаузла', en: 'Test from media node' },
  watch: { uz: 'Ko‘rish', ru: 'Смотреть', en: 'Watch' },
  watchSelected: { uz: 'Tanlanganlarni ko‘rish', ru: 'Смотреть выбранные', en: 'Watch selected' },
  select: { uz: 'Tanlash: {name}', ru: 'Выбрать: {name}', en: 'Select {name}' },
  live: { uz: 'Jonli efir', ru: 'Прямой эфир', en: 'Live view' },
  via: { uz: 'Uzatish usuli', ru: 'Способ передачи', en: 'Transport' },
  auto: { uz: 'Avtomatik (WebRTC, keyin HLS)', ru: 'Авто (WebRTC, затем HLS)', en: 'Automatic (WebRTC, then HLS)' },
  connecting: { uz: 'Ulanmoqda…', ru: 'Подключение…', en: 'Connecting…' },
  playing: { uz: 'Efirda ({via})', ru: 'В эфире ({via})', en: 'Playing ({via})' },
  failed: { uz: 'Ko‘rsatib bo‘lmadi: {message}', ru: 'Не удалось показать: {message}', en: 'Could not play: {message}' },
  close: { uz: 'Yopish', ru: 'Закрыть', en: 'Close' },
  noCameraChosen: { uz: 'Kamera tanlanmagan. Maktab sahifasidan kamerani tanlang.', ru: 'Камера не выбрана. Выберите камеру на странице школы.', en: 'No camera chosen. Pick one on a school\'s page.' },
  proposals: { uz: 'O‘zgarish takliflari', ru: 'Предложения изменений', en: 'Proposals' },
  approvals: { uz: 'Tasdiqlar', ru: 'Одобрения', en: 'Approvals' },
  approvalsOf: { uz: '{n} / {required} tasdiq', ru: '{n} из {required} одобрений', en: '{n} of {required} approvals' },
  satisfied: { uz: 'Ikki kishi qoidasi bajarildi', ru: 'Правило двух человек выполнено', en: 'Two-person rule met' },
  notSatisfied: { uz: 'Hali tasdiqlanmagan', ru: 'Ещё не одобрено', en: 'Not approved yet' },
  requestedBy: { uz: 'So‘ragan', ru: 'Запросил', en: 'Requested by' },
  openInGit: { uz: 'Git’da ochish', ru: 'Открыть в Git', en: 'Open in Git' },
  more: { uz: 'Yana', ru: 'Ещё', en: 'More' },
  attendance: { uz: 'Davomat', ru: 'Посещаемость', en: 'Attendance' },
  byDay: { uz: 'Kun bo‘yicha', ru: 'По дням', en: 'By day' },
  byPupil: { uz: 'O‘quvchi bo‘yicha', ru: 'По ученику', en: 'By pupil' },
  day: { uz: 'Kun', ru: 'День', en: 'Day' },
  pupil: { uz: 'O‘quvchi ID', ru: 'ID ученика', en: 'Pupil id' },
  from: { uz: 'Dan', ru: 'С', en: 'From' },
  to: { uz: 'Gacha', ru: 'По', en: 'To' },
  show: { uz: 'Ko‘rsatish', ru: 'Показать', en: 'Show' },
  time: { uz: 'Vaqt', ru: 'Время', en: 'Time' },
  direction: { uz: 'Yo‘nalish', ru: 'Направление', en: 'Direction' },
  in: { uz: 'Kirdi', ru: 'Вход', en: 'In' },
  out: { uz: 'Chiqdi', ru: 'Выход', en: 'Out' },
  device: { uz: 'Qurilma', ru: 'Устройство', en: 'Device' },
  late: { uz: 'Kechikdi', ru: 'Опоздал', en: 'Late' },
  audit: { uz: 'Audit jurnali', ru: 'Журнал аудита', en: 'Audit log' },
  action: { uz: 'Amal', ru: 'Действие', en: 'Action' },
  actor: { uz: 'Kim', ru: 'Кто', en: 'Actor' },
  result: { uz: 'Natija', ru: 'Результат', en: 'Result' },
  details: { uz: 'Tafsilotlar', ru: 'Подробности', en: 'Details' },
  filter: { uz: 'Filtrlash', ru: 'Фильтр', en: 'Filter' },
  all: { uz: 'Hammasi', ru: 'Все', en: 'All' },
  agents: { uz: 'LAN agent', ru: 'LAN-агент', en: 'LAN agent' },
  agentIntro: {
    uz: 'Maktab tarmog‘idagi kompyuterda agentni ishga tushirish uchun token bering. Token faqat bir marta ko‘rsatiladi.',
    ru: 'Выдайте токен, чтобы запустить агента на компьютере в сети школы. Токен показывается один раз.',
    en: 'Issue a token to run the agent on a computer on the school network. The token is shown once.',
  },
  label: { uz: 'Belgi', ru: 'Метка', en: 'Label' },
  hours: { uz: 'Amal qilish muddati (soat)', ru: 'Срок действия (часы)', en: 'Valid for (hours)' },
  issue: { uz: 'Token berish', ru: 'Выдать токен', en: 'Issue token' },
  issuedOnce: { uz: 'Bu token faqat hozir ko‘rsatiladi. Agent ishga tushiriladigan kompyuterga nusxalang yoki QR-kodni skanerlang.', ru: 'Этот токен показан только сейчас. Скопируйте его на компьютер агента или отсканируйте QR-код.', en: 'This token is shown only now. Copy it to the agent\'s computer or scan the QR code.' },
  revoke: { uz: 'Bekor qilish', ru: 'Отозвать', en: 'Revoke' },
  revoked: { uz: 'Bekor qilingan', ru: 'Отозван', en: 'Revoked' },
  expires: { uz: 'Tugaydi', ru: 'Истекает', en: 'Expires' },
  lastUsed: { uz: 'Oxirgi foydalanish', ru: 'Последнее использование', en: 'Last used' },
  issuedBy: { uz: 'Bergan', ru: 'Выдал', en: 'Issued by' },
  accounts: { uz: 'Hisoblar', ru: 'Учётные записи', en: 'Accounts' },
  role: { uz: 'Rol', ru: 'Роль', en: 'Role' },
  twoFactor: { uz: 'Ikki bosqichli kirish', ru: 'Двухфакторный вход', en: 'Two-factor' },
  locked: { uz: 'Bloklangan', ru: 'Заблокирован', en: 'Locked' },
  create: { uz: 'Yaratish', ru: 'Создать', en: 'Create' },
  newAccount: { uz: 'Yangi hisob', ru: 'Новая учётная запись', en: 'New account' },
  schoolsCsv: { uz: 'Maktablar (vergul bilan)', ru: 'Школы (через запятую)', en: 'Schools (comma-separated)' },
  createdOnce: {
    uz: 'Boshlang‘ich parol faqat hozir ko‘rsatiladi. Uni egasiga xavfsiz yo‘l bilan bering; u birinchi kirishda o‘z parolini o‘rnatadi.',
    ru: 'Начальный пароль показан только сейчас. Передайте его владельцу безопасно; при первом входе он задаст собственный.',
    en: 'The initial password is shown only now. Hand it over safely; the holder sets their own at first login.',
  },
  changePassword: { uz: 'Parolni almashtirish', ru: 'Сменить пароль', en: 'Change password' },
  changePasswordForced: {
    uz: 'Siz vaqtinchalik parol bilan kirdingiz. Davom etish uchun o‘zingizning parolingizni o‘rnating.',
    ru: 'Вы вошли с временным паролем. Чтобы продолжить, задайте собственный пароль.',
    en: 'You signed in with a temporary password. Set your own password to continue.',
  },
  currentPassword: { uz: 'Joriy parol', ru: 'Текущий пароль', en: 'Current password' },
  newPassword: { uz: 'Yangi parol', ru: 'Новый пароль', en: 'New password' },
  newPasswordHint: { uz: 'Kamida 12 belgi; foydalanuvchi nomini o‘z ichiga olmasin', ru: 'Не менее 12 символов, без имени пользователя', en: 'At least 12 characters, not containing the username' },
  repeatPassword: { uz: 'Yangi parolni takrorlang', ru: 'Повторите новый пароль', en: 'Repeat the new password' },
  passwordsDiffer: { uz: 'Parollar mos kelmadi', ru: 'Пароли не совпадают', en: 'The passwords differ' },
  enrolTitle: { uz: 'Ikki bosqichli kirishni sozlash', ru: 'Настройка двухфакторного входа', en: 'Set up two-factor sign-in' },
  enrolSteps: {
    uz: 'Autentifikator ilovasida (masalan, Google Authenticator) QR-kodni skanerlang, so‘ng ilova ko‘rsatgan 6 raqamli kodni kiriting.',
    ru: 'Отсканируйте QR-код приложением-аутентификатором (например, Google Authenticator) и введите показанный им 6-значный код.',
    en: 'Scan the QR code with an authenticator app (for example Google Authenticator), then enter the 6-digit code it shows.',
  },
  enrolManual: { uz: 'Skanerlab bo‘lmasa, kalitni qo‘lda kiriting:', ru: 'Если сканировать нельзя, введите ключ вручную:', en: 'If you cannot scan, type this key:' },
  enrolConfirm: { uz: 'Tasdiqlash', ru: 'Подтвердить', en: 'Confirm' },
  enrolAgain: { uz: 'Yangi QR-kod', ru: 'Новый QR-код', en: 'New QR code' },
  enrolAtLogin: {
    uz: 'Ikki bosqichli kirish egasi tomonidan birinchi kirishda sozlanadi.',
    ru: 'Двухфакторный вход владелец настроит при первом входе.',
    en: 'The holder sets up two-factor sign-in at first login.',
  },
  renderedChanges: { uz: 'MediaMTX sozlamalaridagi o‘zgarishlar', ru: 'Изменения в конфигурации MediaMTX', en: 'Changes to the MediaMTX configs' },
  renderedDiff: { uz: 'MediaMTX sozlamalari farqi', ru: 'Разница конфигураций MediaMTX', en: 'Diff of the MediaMTX configs' },
  noRenderedChanges: { uz: 'MediaMTX sozlamalari o‘zgarmaydi', ru: 'Конфигурация MediaMTX не меняется', en: 'The MediaMTX configs do not change' },
  diffInGit: {
    uz: 'To‘liq farqda boshqa maktablar ham ko‘rinadi: uni Git’dagi so‘rovda o‘qing.',
    ru: 'Полная разница показывает и другие школы: читайте её в запросе в Git.',
    en: 'The full diff shows other schools too: read it in the pull request in Git.',
  },
  file: { uz: 'Fayl', ru: 'Файл', en: 'File' },
  linesAdded: { uz: 'Qo‘shilgan qatorlar', ru: 'Добавлено строк', en: 'Lines added' },
  linesRemoved: { uz: 'O‘chirilgan qatorlar', ru: 'Удалено строк', en: 'Lines removed' },
  enrolQr: { uz: 'Autentifikator uchun QR-kod', ru: 'QR-код для аутентификатора', en: 'QR code for the authenticator' },
  yes: { uz: 'ha', ru: 'да', en: 'yes' },
  no: { uz: 'yo‘q', ru: 'нет', en: 'no' },
  back: { uz: 'Orqaga', ru: 'Назад', en: 'Back' },
  notFound: { uz: 'Sahifa topilmadi', ru: 'Страница не найдена', en: 'Page not found' },
  // Conditions and probe results, in words.
  'cond.Ready.True': { uz: 'Ishlamoqda', ru: 'Работает', en: 'Ready' },
  'cond.Ready.False': { uz: 'Ishlamayapti', ru: 'Не работает', en: 'Not ready' },
  'cond.Ready.Unknown': { uz: 'Holati noma’lum', ru: 'Состояние неизвестно', en: 'State unknown' },
  'reason.Assigned': { uz: 'Maktabga o‘z hududidagi media tugun biriktirilgan', ru: 'Школе назначен медиаузел её региона', en: 'A media node of the school\'s region serves it' },
  'reason.Pinned': { uz: 'Maktab belgilangan media tugunga biriktirilgan', ru: 'Школа закреплена за выбранным медиаузлом', en: 'The school is pinned to a chosen media node' },
  'reason.RegionFallback': { uz: 'O‘z hududida bo‘sh tugun yo‘q: boshqa hududdagi tugun xizmat qilmoqda', ru: 'В регионе школы нет свободного узла: обслуживает узел другого региона', en: 'No free node in the school\'s region: a node of another region serves it' },
  'reason.NoMediaNode': { uz: 'Hech qaysi media tugun xizmat qila olmaydi: kameralar ko‘rinmaydi', ru: 'Ни один медиаузел не может обслужить: камеры недоступны', en: 'No media node can serve it: its cameras cannot be watched' },
  'reason.PinnedNodeMissing': { uz: 'Belgilangan media tugun mavjud emas', ru: 'Закреплённый медиаузел не существует', en: 'The pinned media node does not exist' },
  'reason.OverCapacity': { uz: 'Tugun sig‘imidan oshib ketgan', ru: 'Узел перегружен сверх ёмкости', en: 'The node is over its capacity' },
  'reason.CredentialsMissing': { uz: 'NVR login va paroli topilmadi: kameralar uzatilmaydi', ru: 'Не найдены логин и пароль NVR: камеры не транслируются', en: 'The NVR\'s username and password are missing: its cameras are not served' },
  'reason.InvalidTimezone': { uz: 'Vaqt mintaqasi noto‘g‘ri', ru: 'Неверный часовой пояс', en: 'The time zone is invalid' },
  'reason.ConfigApplied': { uz: 'MediaMTX sozlamalari qo‘llangan', ru: 'Конфигурация MediaMTX применена', en: 'The MediaMTX config is applied' },
  'probe.Ok': { uz: 'Media tugundan ulanish bor', ru: 'Доступен с медиаузла', en: 'Reachable from the media node' },
  'probe.Refused': { uz: 'Ulanish rad etildi: port yopiq yoki yo‘naltirilmagan', ru: 'Соединение отклонено: порт закрыт или не проброшен', en: 'Connection refused: the port is closed or not forwarded' },
  'probe.Timeout': { uz: 'Javob yo‘q: router media tugun IP manzilini o‘tkazmayapti bo‘lishi mumkin', ru: 'Нет ответа: возможно, роутер не пропускает IP медиаузла', en: 'No answer: the router may not admit the media node\'s IP' },
  'probe.AuthFailed': { uz: 'Login yoki parol noto‘g‘ri', ru: 'Неверный логин или пароль', en: 'Wrong username or password' },
  'probe.NotAllowlisted': { uz: 'Bu manzilni tekshirish taqiqlangan (ichki manzil)', ru: 'Этот адрес проверять запрещено (внутренний адрес)', en: 'This address may not be probed (a private address)' },
  'probe.DnsFailed': { uz: 'Manzil nomi topilmadi (DNS)', ru: 'Имя адреса не найдено (DNS)', en: 'The host name does not resolve (DNS)' },
  'probe.ProtocolError': { uz: 'Qurilma kutilgan tarzda javob bermadi', ru: 'Устройство ответило не так, как ожидалось', en: 'The device did not answer as expected' },
  'probe.Unreachable': { uz: 'Tarmoq orqali yetib bo‘lmaydi', ru: 'Недоступен по сети', en: 'Unreachable over the network' },
} satisfies Record<string, Entry>;

export type MessageId = keyof typeof M;

export function t(id: MessageId, vars: Record<string, string | number> = {}): string {
  const text = (M[id] as Entry)[language.get()];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A message id if the table has one, for reasons the API names. */
export const known = (id: string): id is MessageId => id in M;

export const formatTime = (iso: string): string => new Date(iso).toLocaleString(language.get() === 'uz' ? 'uz-Latn' : language.get());
