// The console's entry: shows "loading" until the admin client (its WebAssembly) is ready, then
// hands over to app.mjs; if it cannot load, the page says so instead of staying blank.
const main = document.getElementById('main');

import('./app.mjs').then(
  ({ start }) => start(),
  (error) => {
    const message = document.createElement('p');
    message.className = 'error';
    message.setAttribute('role', 'alert');
    message.textContent = `The console could not start: ${error?.message ?? error}`;
    main.replaceChildren(message);
  },
);
