// The scanning page's camera: reads case, pallet and item labels (GS1-128, QR, Data
// Matrix) with the Barcode Detection API ponyfill (ZXing-C++ in WebAssembly, served from
// our own static files) and adds each new one to the form's list. The form works without
// it: the list is a plain text field that a scanner or a person can fill.
(() => {
  "use strict";
  const form = document.getElementById("scan-form");
  const box = document.getElementById("camera");
  const list = form.querySelector("textarea[name=codes]");
  const parent = form.querySelector("input[name=parent]");
  const count = document.getElementById("scanned-count");
  const status = document.getElementById("camera-status");
  const video = document.getElementById("camera-video");
  const toggle = document.getElementById("camera-toggle");
  const text = box.dataset;
  const lines = () => list.value.split("\n").map((s) => s.trim()).filter(Boolean);
  const recount = () => { count.textContent = String(lines().length); };
  list.addEventListener("input", recount);
  recount();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.BarcodeDetectionAPI) {
    return; // no camera here: the list is filled by hand or by a scanner
  }
  box.hidden = false;
  const formats = ["code_128", "qr_code", "data_matrix"];
  let detector = null;
  let stream = null;

  function makeDetector() {
    const api = window.BarcodeDetectionAPI;
    api.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? text.wasm : prefix + path),
      },
    });
    return new api.BarcodeDetector({ formats });
  }

  function add(value) {
    value = value.replace(/[\u0000-\u001c]/g, (c) => (c === "\u001d" ? c : "")).trim();
    if (!value) return;
    const packing = form.querySelector("input[name=step]:checked")?.value === "pack";
    if (packing && parent && !parent.value.trim()) {
      parent.value = value;
    } else if (!lines().includes(value) && value !== parent?.value.trim()) {
      list.value = lines().concat(value).join("\n") + "\n";
      recount();
    } else {
      return;
    }
    status.textContent = `${text.added} ${value}`;
    if (navigator.vibrate) navigator.vibrate(60);
  }

  async function tick() {
    if (!stream) return;
    try {
      if (video.readyState >= 2) {
        for (const code of await detector.detect(video)) add(code.rawValue);
      }
    } catch (error) {
      status.textContent = String(error);
    }
    setTimeout(tick, 120);
  }

  async function start() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } },
        audio: false,
      });
    } catch (error) {
      status.textContent = text.denied;
      return;
    }
    video.srcObject = stream;
    video.dataset.on = "1";
    await video.play();
    detector = detector || makeDetector();
    toggle.textContent = text.stop;
    status.textContent = text.point;
    tick();
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    delete video.dataset.on;
    toggle.textContent = text.start;
  }

  toggle.addEventListener("click", () => (stream ? stop() : start()));
  window.addEventListener("pagehide", stop);
})();
