// Light/dark theme: follows prefers-color-scheme until the user picks one with the toggle, which
// is remembered in localStorage. The choice is a data-theme attribute on <html>.
import { useEffect, useState } from "preact/hooks";

const KEY = "cairn.theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

export type Theme = "light" | "dark";

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null;
  }
}

export function currentTheme(): Theme {
  return stored() ?? (media.matches ? "dark" : "light");
}

function apply() {
  document.documentElement.dataset.theme = currentTheme();
  window.dispatchEvent(new CustomEvent("cairn:theme"));
}

export function initTheme(): void {
  apply();
  media.addEventListener("change", apply);
}

export function toggleTheme(): void {
  localStorage.setItem(KEY, currentTheme() === "dark" ? "light" : "dark");
  apply();
}

export function useTheme(): Theme {
  const [t, setT] = useState(currentTheme);
  useEffect(() => {
    const h = () => setT(currentTheme());
    window.addEventListener("cairn:theme", h);
    return () => window.removeEventListener("cairn:theme", h);
  }, []);
  return t;
}
