// The playground page: a channel, its threads, modals and the App Home tab, kept live by
// server-sent events. What a visitor does goes to /action/*, which the server sends to the bot
// as Slack would.
import { el, mrkdwn, plainText, renderBlocks } from './blocks.js';

const $ = (selector) => document.querySelector(selector);
let state;
let me = new URLSearchParams(location.search).get('as') || localStorage.getItem('playground.persona') || '';
let openThread;
let tab = 'channel';
const rendered = {};

// This start's token, put in the page by the server: every action carries it (src/playground/server.ts, guard).
const token = document.querySelector('meta[name="playground-token"]')?.content ?? '';

async function act(kind, body) {
  const response = await fetch(`/action/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-playground-token': token },
    body: JSON.stringify({ user: me, ...body }),
  });
  const result = await response.json();
  // A refusal of the request itself (an old page after a restart, say) is shown, not swallowed.
  if (response.status === 403 || response.status === 415) showProblem(result.message ?? 'The playground refused that request.');
  return result;
}

function showProblem(text) {
  $('#problem').textContent = text;
  $('#problem').hidden = false;
}

const persona = (id) => state.info.personas.find((p) => p.id === id);

const ctx = {
  userName(id) {
    if (id === state.info.botUserId) return state.info.botName;
    return persona(id)?.name ?? id;
  },
  channelName(id) {
    return id === state.info.channel.id ? state.info.channel.name : id;
  },
};

function time(ts) {
  const seconds = Number(String(ts).split('.')[0]);
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function avatar(name, bot) {
  return el('div', `avatar${bot ? ' bot' : ''}`, (name || '?').slice(0, 1).toUpperCase());
}

/** Buttons on messages: a click reaches the bot as a signed block_actions request. */
function messageContext(message) {
  return {
    ...ctx,
    onButton: async ({ actionId, blockId }, node) => {
      node.disabled = true;
      try {
        await act('click', { channel: message.channel, ts: message.ts, actionId, blockId });
      } finally {
        setTimeout(() => (node.disabled = false), 500);
      }
    },
  };
}

function renderMessage(message, { inThread }) {
  const bot = !message.user;
  const name = bot ? state.info.botName : ctx.userName(message.user);
  const body = el('div', 'message-body');
  const meta = el('div', 'meta', el('span', 'name', name));
  if (bot) meta.append(el('span', 'badge', 'APP'));
  meta.append(el('span', 'time', time(message.ts)));
  if (message.edited) meta.append(el('span', 'edited', '(edited)'));
  body.append(meta);
  body.append(message.blocks?.length ? renderBlocks(message.blocks, messageContext(message)) : mrkdwn(message.text ?? '', ctx));
  if (!inThread) {
    const replies = state.messages.filter((m) => m.thread_ts === message.ts && m.channel === message.channel);
    if (replies.length) {
      const link = el('button', 'reply-link', `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`);
      link.type = 'button';
      link.addEventListener('click', () => {
        openThread = message.ts;
        render();
      });
      body.append(link);
    }
  }
  const node = el('div', `message${bot ? ' from-bot' : ''}`, avatar(name, bot), body);
  node.dataset.ts = message.ts;
  return node;
}

function renderEphemeral(ephemeral) {
  const body = el('div', 'message-body');
  body.append(el('div', 'meta', el('span', 'name', state.info.botName), el('span', 'badge', 'APP'), el('span', 'only-you', '👁 Only visible to you')));
  body.append(ephemeral.blocks?.length ? renderBlocks(ephemeral.blocks, { ...ctx, onButton: () => undefined }) : mrkdwn(ephemeral.text ?? '', ctx));
  const dismiss = el('button', 'dismiss', 'Dismiss');
  dismiss.type = 'button';
  dismiss.addEventListener('click', () => act('dismiss', { id: ephemeral.id }));
  body.append(dismiss);
  const node = el('div', 'message ephemeral', avatar(state.info.botName, true), body);
  node.dataset.ephemeralId = String(ephemeral.id);
  return node;
}

/** Re-renders a region only when what it shows changed, keeping the reader's scroll position. */
function update(region, key, build) {
  const container = $(region);
  if (rendered[region] === key) return;
  rendered[region] = key;
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(...build());
  if (atBottom) container.scrollTop = container.scrollHeight;
}

function timeline(messages, ephemerals, inThread) {
  return [...messages.map((m) => ({ seq: m.seq, node: () => renderMessage(m, { inThread }) })), ...ephemerals.map((e) => ({ seq: e.seq, node: () => renderEphemeral(e) }))]
    .sort((a, b) => a.seq - b.seq)
    .map((entry) => entry.node());
}

function renderHeader() {
  const info = state.info;
  const select = $('#persona');
  if (!select.options.length) {
    for (const p of info.personas) {
      const option = el('option', '', `${p.name} (${p.role})`);
      option.value = p.id;
      select.append(option);
    }
    select.addEventListener('change', () => {
      me = select.value;
      localStorage.setItem('playground.persona', me);
      render();
    });
  }
  select.value = me;
  const ui = $('#temporal-ui');
  if (/^https?:/.test(info.temporalUiUrl)) ui.href = info.temporalUiUrl;
  $('#writer').textContent = info.sampleWriter ? 'Sample writer: no model configured' : `Model: ${info.model}`;
  $('#writer').className = info.sampleWriter ? 'pill sample' : 'pill';
  $('#channel-name').textContent = `# ${info.channel.name}`;
}

function renderErrors() {
  update('#errors', JSON.stringify(state.errors), () => {
    if (!state.errors.length) return [];
    const clear = el('button', 'dismiss', 'Clear');
    clear.type = 'button';
    clear.addEventListener('click', () => act('clear-errors', {}));
    return [
      el('div', 'errors-title', `Slack refused ${state.errors.length} call${state.errors.length === 1 ? '' : 's'} (real Slack would too):`, clear),
      ...state.errors.slice(-5).map((e) => el('div', 'error', el('code', 'code', e.method), ` → ${e.error}`, e.detail ? ` — ${e.detail}` : '')),
    ];
  });
}

function renderChannel() {
  const channel = state.info.channel.id;
  const messages = state.messages.filter((m) => m.channel === channel && !m.thread_ts);
  const ephemerals = state.ephemerals.filter((e) => e.user === me && e.channel === channel && !e.thread_ts);
  const key = JSON.stringify([me, messages, ephemerals, state.messages.filter((m) => m.thread_ts).map((m) => m.thread_ts)]);
  update('#messages', key, () =>
    messages.length || ephemerals.length ? timeline(messages, ephemerals, false) : [el('div', 'empty', 'No messages yet. Type /research durable execution below.')],
  );
}

function renderThread() {
  const pane = $('#thread');
  const parent = openThread && state.messages.find((m) => m.ts === openThread);
  pane.hidden = !parent;
  if (!parent) return;
  const replies = state.messages.filter((m) => m.thread_ts === openThread);
  const ephemerals = state.ephemerals.filter((e) => e.user === me && e.thread_ts === openThread);
  update('#thread-messages', JSON.stringify([me, parent, replies, ephemerals]), () => [
    renderMessage(parent, { inThread: true }),
    el('div', 'thread-divider', `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`),
    ...timeline(replies, ephemerals, true),
  ]);
}

function renderHome() {
  const home = state.homes[me];
  $('#home').hidden = tab !== 'home';
  $('#channel').hidden = tab === 'home';
  update('#home-content', JSON.stringify([me, home]), () =>
    home
      ? [renderBlocks(home.view.blocks, { ...ctx, onButton: ({ actionId, blockId }) => act('click', { viewId: home.id, actionId, blockId }) })]
      : [el('div', 'empty', 'The app has not published a Home tab for you.')],
  );
}

/** Reads what was typed in the open modal: block ID → action ID → value. */
function modalValues() {
  const values = {};
  for (const field of document.querySelectorAll('#modal .sk-field')) {
    const [blockId, actionId] = field.name.split('/');
    values[blockId] = { ...values[blockId], [actionId]: field.value };
  }
  return values;
}

/** Slack checks lengths in the client before it sends anything. */
function clientErrors() {
  const errors = {};
  for (const field of document.querySelectorAll('#modal .sk-field')) {
    const [blockId] = field.name.split('/');
    const min = Number(field.dataset.minLength || 0);
    const length = field.value.length;
    if (field.dataset.required && !field.value.trim()) errors[blockId] = 'Please complete this required field.';
    else if (length > 0 && length < min) errors[blockId] = `Must have at least ${min} characters`;
  }
  return errors;
}

function renderModal() {
  const stack = state.views[me] ?? [];
  const top = stack[stack.length - 1];
  const overlay = $('#modal-overlay');
  const key = JSON.stringify([me, top]);
  if (rendered.modal === key) return;
  const typed = top && rendered.modalId === top.id ? modalValues() : {};
  rendered.modal = key;
  rendered.modalId = top?.id;
  overlay.hidden = !top;
  if (!top) {
    $('#modal').replaceChildren();
    return;
  }
  const view = top.view;
  const errors = { ...top.errors };
  const form = el('form', 'modal');
  form.id = 'modal';
  form.dataset.callbackId = view.callback_id ?? '';
  form.dataset.viewId = top.id;
  const close = el('button', 'close', '×');
  close.type = 'button';
  close.title = 'Close';
  close.addEventListener('click', () => act('close', { viewId: top.id }));
  form.append(el('div', 'modal-header', el('span', 'modal-title', plainText(view.title?.text ?? '')), close));
  const body = renderBlocks(view.blocks, { ...ctx, errors, onButton: ({ actionId, blockId }) => act('click', { viewId: top.id, actionId, blockId }) });
  body.classList.add('modal-body');
  form.append(body);
  if (top.problem) form.append(el('div', 'field-error problem', top.problem));
  const footer = el('div', 'modal-footer');
  const cancel = el('button', 'sk-button', view.close?.text ?? 'Cancel');
  cancel.type = 'button';
  cancel.addEventListener('click', () => act('close', { viewId: top.id }));
  footer.append(cancel);
  if (view.submit) {
    const submit = el('button', 'sk-button primary submit', view.submit.text ?? 'Submit');
    submit.type = 'submit';
    footer.append(submit);
  }
  form.append(footer);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const local = clientErrors();
    for (const node of form.querySelectorAll('.field-error.local')) node.remove();
    if (Object.keys(local).length) {
      for (const [blockId, message] of Object.entries(local)) {
        form.querySelector(`.sk-input[data-block-id="${CSS.escape(blockId)}"]`)?.append(el('div', 'field-error local', message));
      }
      return;
    }
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    await act('submit', { viewId: top.id, values: modalValues() });
    for (const button of form.querySelectorAll('button')) button.disabled = false;
  });
  $('#modal').replaceWith(form);
  for (const [name, value] of Object.entries(typed).flatMap(([b, actions]) => Object.entries(actions).map(([a, v]) => [`${b}/${a}`, v]))) {
    const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (field) field.value = value;
  }
  form.querySelector('.sk-field')?.focus();
}

function render() {
  if (!state) return;
  if (!state.info.personas.some((p) => p.id === me)) me = state.info.personas[0].id;
  document.body.dataset.persona = me;
  renderHeader();
  renderErrors();
  renderChannel();
  renderThread();
  renderHome();
  renderModal();
  $('#tab-home').classList.toggle('active', tab === 'home');
  $('#tab-channel').classList.toggle('active', tab === 'channel');
}

function composer(form, threadTs) {
  const field = form.querySelector('textarea');
  const send = async () => {
    const text = field.value;
    if (!text.trim()) return;
    field.value = '';
    const result = await act('message', { text, ...(threadTs() ? { thread_ts: threadTs() } : {}) });
    if (!result.ok && result.error === 'unknown person') field.value = text;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });
  field.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  });
}

composer($('#composer'), () => undefined);
composer($('#thread-composer'), () => openThread);
$('#close-thread').addEventListener('click', () => {
  openThread = undefined;
  render();
});
$('#tab-home').addEventListener('click', () => {
  tab = 'home';
  render();
});
$('#tab-channel').addEventListener('click', () => {
  tab = 'channel';
  render();
});

const events = new EventSource('/events');
events.addEventListener('state', (event) => {
  state = JSON.parse(event.data);
  render();
  $('#connection').hidden = true;
});
events.addEventListener('error', () => {
  $('#connection').hidden = false;
});
