// The query page: YASGUI against this server's /sparql, with the competency questions as examples.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Yasgui === "undefined") return;
  var examples = JSON.parse(document.getElementById("adekg-examples").textContent);
  var endpoint = new URL(JSON.parse(document.getElementById("adekg-endpoint").textContent), window.location.href).href;
  var editor = document.getElementById("editor");
  editor.hidden = false;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { autocompleters: ["prefixes", "variables"] },
  });
  var plain = document.querySelector(".plain-form textarea");
  if (plain) yasgui.getTab().setQuery(plain.value);
  document.getElementById("examples").addEventListener("change", function (event) {
    var chosen = examples.find(function (e) { return e.name === event.target.value; });
    if (!chosen) return;
    var tab = yasgui.getTab();
    tab.setName(chosen.name);
    tab.setQuery(chosen.query);
  });
  window.adekgYasgui = yasgui;
});
