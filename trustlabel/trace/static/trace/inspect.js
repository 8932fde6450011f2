// "Use this device's location" on the inspector's page: fills the form's hidden lat, lon
// and accuracy from the browser, which asks the inspector first.
(() => {
  "use strict";
  const button = document.getElementById("use-location");
  const status = document.getElementById("location-status");
  if (!navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const form = button.form;
        form.elements.lat.value = position.coords.latitude;
        form.elements.lon.value = position.coords.longitude;
        form.elements.accuracy.value = position.coords.accuracy;
        status.textContent = button.dataset.got;
      },
      () => { status.textContent = button.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
})();
