/** The organisation's API key, for this browser tab only: sessionStorage, never localStorage or a cookie. */
const KEY = "nafsi.apiKey";

export const getKey = (): string | null => sessionStorage.getItem(KEY);
export const setKey = (key: string) => sessionStorage.setItem(KEY, key);
export const clearKey = () => sessionStorage.removeItem(KEY);
