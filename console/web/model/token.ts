/** Where the page keeps the user's token: sessionStorage (this tab only), under this key. */
export const TOKEN_KEY = 'steer.console.token';
