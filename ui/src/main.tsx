import { render } from "preact";
import { App } from "./app";
import { installLinkInterceptor } from "./router";
import { initTheme } from "./theme";
import "./styles/app.css";

initTheme();
if (window.location.pathname === "/") history.replaceState(null, "", "/traces" + window.location.search);
installLinkInterceptor();
render(<App />, document.getElementById("app")!);
