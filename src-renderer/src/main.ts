import { mount } from "svelte";
import App from "./App.svelte";
import { STORAGE_KEYS } from "./lib/constants";
import { readLocal } from "./lib/utils/localStore";
import "./app.css";

// The last run's theme, before anything renders, so a reload does not flash the other theme.
const cachedTheme = readLocal(STORAGE_KEYS.theme);
if (cachedTheme === "light" || cachedTheme === "dark") {
  document.documentElement.dataset.theme = cachedTheme;
}

const target = document.getElementById("app");
if (target === null) {
  throw new Error("index.html has no #app element.");
}

export default mount(App, { target });
