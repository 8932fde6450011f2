// Progressive enhancement of the division picker: a new choice shows the next select at
// once. Without JavaScript the form's own button does the same.
document.querySelectorAll("form[data-division-picker]").forEach((form) => {
  const selects = [...form.querySelectorAll("select")];
  selects.forEach((select, i) => {
    select.addEventListener("change", () => {
      selects.slice(i + 1).forEach((deeper) => (deeper.value = ""));
      form.submit();
    });
  });
  form.querySelector("button").hidden = true;
});
