/* The H5 pages' forms: JSON to the app's /api, answers shown in #message. */
(function () {
  'use strict';
  var message = document.getElementById('message');
  function show(text, ok) { message.textContent = text; message.style.color = ok ? '#080' : '#b00'; }
  function values(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === 'checkbox') {
        if (el.name === 'consents') { body.consents = body.consents || []; if (el.checked) body.consents.push(el.value); }
        else body[el.name] = el.checked;
      } else body[el.name] = el.value;
    });
    return body;
  }
  async function send(method, url, body) {
    var answer = await fetch(url, { method: method, credentials: 'same-origin',
      headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    var data = answer.status === 204 ? {} : await answer.json();
    return { ok: answer.ok, data: data };
  }
  document.querySelectorAll('form[data-api]').forEach(function (form) {
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var result = await send('POST', form.dataset.api, values(form));
      if (!result.ok) { show(typeof result.data.detail === 'string' ? result.data.detail : '请检查填写的内容。'); return; }
      show('提交成功。', true);
      if (form.dataset.next) window.location.href = form.dataset.next;
    });
  });
  document.querySelectorAll('input[data-consent]').forEach(function (box) {
    box.addEventListener('change', async function () {
      var result = await send(box.checked ? 'POST' : 'DELETE', '/api/consents/' + box.dataset.consent);
      if (!result.ok) { box.checked = !box.checked; show('请先登录。'); return; }
      show(box.checked ? '已同意。' : '已撤回。', true);
      if (window.yinsi && window.yinsi.recheck) window.yinsi.recheck();
    });
  });
})();
