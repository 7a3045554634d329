// Uploads the chosen photo from the browser straight to S3 with a presigned POST, so files far
// larger than a Lambda request (6 MB) work, then puts the object key in the form's hidden field.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("photo-file");
  if (!input) return;
  const keyField = document.querySelector("[data-photo-upload-key]");
  const status = document.getElementById("photo-status");
  const progress = document.getElementById("photo-progress");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const say = (text) => { status.textContent = text; };

  input.addEventListener("change", async () => {
    const file = input.files[0];
    keyField.value = "";
    if (!file) return;
    if (file.size > Number(input.dataset.maxBytes)) {
      say(`This file is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${(input.dataset.maxBytes / 1048576).toFixed(0)} MB.`);
      return;
    }
    say("Preparing the upload…");
    const answer = await fetch(input.dataset.presignUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ filename: file.name, content_type: file.type, size: file.size }),
    });
    const body = await answer.json();
    if (!answer.ok) { say(body.error ? body.error.message : "The upload could not start."); return; }
    const form = new FormData();
    Object.entries(body.fields).forEach(([name, value]) => form.append(name, value));
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", body.url);
    progress.hidden = false;
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        keyField.value = body.key;
        progress.value = 100;
        say(`Uploaded ${file.name}. Save to add the photo.`);
      } else {
        say(`S3 refused the upload (HTTP ${request.status}). Try again.`);
      }
    };
    request.onerror = () => say("The upload failed: check the connection and try again.");
    say(`Uploading ${file.name}…`);
    request.send(form);
  });
});
