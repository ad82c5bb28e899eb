// The little script the pages use (no build step, no framework):
// a merge-field button puts its field into its textarea where the cursor is.
document.addEventListener('click', function (event) {
  var button = event.target.closest('button.insert-field');
  if (!button) return;
  var area = document.getElementById(button.dataset.target);
  if (!area) return;
  var field = button.dataset.field;
  var start = area.selectionStart, end = area.selectionEnd;
  area.value = area.value.slice(0, start) + field + area.value.slice(end);
  area.focus();
  area.selectionStart = area.selectionEnd = start + field.length;
});
