// @ts-check
// frontdesk agent console: the agent's availability (issue 20). A button in the top bar says whether
// you are available or away and switches it (`set_availability` on the `/agent` socket); the server
// pushes `availability` on connection and whenever another console of yours switches it. A handover
// while nobody is available tells the visitor so and asks for an e-mail address instead.

(() => {
  'use strict';

  /** @type {HTMLButtonElement | null} */
  let button = null;
  /** @type {boolean | null} */
  let available = null;
  /** @type {import('socket.io-client').Socket | null} */
  let current = null;

  function ensureButton() {
    if (button) return button;
    const bar = document.querySelector('.topbar-right');
    if (!bar) return null;
    button = document.createElement('button');
    button.type = 'button';
    button.id = 'availability';
    button.className = 'ghost availability';
    button.hidden = true;
    button.addEventListener('click', () => void toggle());
    bar.insertBefore(button, bar.firstChild);
    return button;
  }

  function render() {
    const element = ensureButton();
    if (!element) return;
    element.hidden = available === null;
    element.textContent = available ? '● Available' : '○ Away';
    element.dataset.available = String(available === true);
    element.setAttribute('aria-pressed', String(available === true));
    element.title = available
      ? 'You are available: visitors handed over are told someone will be with them shortly. Click to go away.'
      : 'You are away: if nobody is available, visitors handed over are asked for an e-mail address. Click to become available.';
  }

  async function toggle() {
    if (!current || available === null || !button) return;
    const wanted = !available;
    button.disabled = true;
    try {
      /** @type {{ ok: boolean, available?: boolean }} */
      const answer = await current.timeout(10_000).emitWithAck('set_availability', { available: wanted });
      if (answer.ok && typeof answer.available === 'boolean') available = answer.available;
    } catch {
      // The socket reconnects; the server pushes the state again then.
    } finally {
      button.disabled = false;
      render();
    }
  }

  /** @param {import('socket.io-client').Socket} socket */
  function follow(socket) {
    if (current === socket) return;
    current = socket;
    socket.on('availability', (/** @type {{ available: boolean }} */ state) => {
      available = state.available === true;
      render();
    });
    socket.on('disconnect', () => {
      available = null;
      render();
    });
  }

  document.addEventListener('console:socket', (event) => {
    const socket = /** @type {CustomEvent<import('socket.io-client').Socket>} */ (event).detail;
    if (socket) follow(socket);
  });
  const early = window.frontdeskConsole?.socket();
  if (early) follow(/** @type {import('socket.io-client').Socket} */ (early));
})();
