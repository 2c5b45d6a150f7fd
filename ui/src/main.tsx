import { render } from "preact";
import { App } from "./app";
import { installLinkInterceptor } from "./router";
import { initTheme } from "./theme";
import "./styles/app.css";

initTheme();
installLinkInterceptor();
render(<App />, document.getElementById("app")!);
