/* Custos: Google Consent Mode v2 defaults. Load this first in <head>, before gtag.js, Google Tag Manager or
 * any other tag, and without async/defer: every storage type is "denied" until the visitor chooses, and
 * banner.js sends the update. wait_for_update lets tags that load meanwhile wait for that update. */
window.dataLayer = window.dataLayer || [];
window.gtag = window.gtag || function () { window.dataLayer.push(arguments); };
window.gtag("consent", "default", {
  ad_storage: "denied",
  ad_user_data: "denied",
  ad_personalization: "denied",
  analytics_storage: "denied",
  wait_for_update: 500
});
