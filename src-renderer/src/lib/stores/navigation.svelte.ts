export const views = ["chat", "library", "compress", "runs", "settings"] as const;
export type ViewName = (typeof views)[number];

export const viewTitles: Record<ViewName, string> = {
  chat: "Chat",
  library: "Library",
  compress: "Compress",
  runs: "Runs",
  settings: "Settings",
};

function fromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, "");
  return (views as readonly string[]).includes(name) ? (name as ViewName) : "chat";
}

/**
 * The current top-level view, mirrored in the address hash (`#/library`) so a reload, the back
 * button and links keep working.
 */
class NavigationStore {
  view = $state<ViewName>(fromHash(window.location.hash));

  constructor() {
    window.addEventListener("hashchange", () => {
      this.view = fromHash(window.location.hash);
    });
  }

  go(view: ViewName): void {
    this.view = view;
    if (fromHash(window.location.hash) !== view || window.location.hash === "") {
      window.location.hash = `/${view}`;
    }
  }
}

export const navigation = new NavigationStore();
