/* 我来数科's H5 pages: 登录/注册 with an SMS code, real-name verification, the credit
   application and the contacts form, as JSON to /api/wolai. A refusal names the consents
   still missing (ticked on the page, via app.js). */
(function () {
  'use strict';
  var message = document.getElementById('message');
  function show(text, ok) { message.textContent = text; message.style.color = ok ? '#080' : '#b00'; }
  function values(root) {
    var body = {};
    root.querySelectorAll('input[name], select[name], textarea[name]').forEach(function (el) {
      if (el.type === 'checkbox' || el.value.trim() === '') return;
      body[el.name] = el.value.trim();
    });
    return body;
  }
  async function post(url, body) {
    var answer = await fetch(url, { method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    var data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    return { ok: answer.ok, data: data };
  }
  function consentLabel(id) {
    var box = document.querySelector('input[data-consent="' + id + '"]');
    var legend = box && box.closest('fieldset') && box.closest('fieldset').querySelector('legend');
    return legend ? legend.textContent : '';
  }
  function refusal(data) {
    var text = typeof data.detail === 'string' ? data.detail : '请检查填写的内容。';
    var missing = (data.consents || []).map(consentLabel).filter(Boolean);
    if (missing.length) text += '（请先勾选同意：' + missing.join('；') + '）';
    return text;
  }
  function submitted(form, body, done) {
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var button = form.querySelector('button:not([type=button])');
      button.disabled = true;
      try {
        var result = await post(form.dataset.post, body(form));
        if (!result.ok) { show(refusal(result.data)); return; }
        done(result.data);
      } finally { button.disabled = false; }
    });
  }
  function next(form, text) {
    return function () {
      show(text, true);
      if (form.dataset.next) window.location.href = form.dataset.next;
    };
  }

  // 登录/注册: the policy accepted, then the SMS code
  var login = document.getElementById('wolai-login');
  if (login) {
    document.getElementById('send-code').addEventListener('click', async function () {
      var phone = login.elements.phone.value.trim();
      var accepted = login.elements.accept_policy.checked;
      var result = await post('/api/wolai/code', { phone: phone, accept_policy: accepted });
      if (!result.ok) { show(refusal(result.data)); return; }
      show(result.data.message || '验证码已发送。', true);
      login.elements.code.focus();
    });
    submitted(login, values, next(login, '登录成功。'));
  }

  var realName = document.getElementById('real-name');
  if (realName) submitted(realName, values, next(realName, '实名认证已完成。'));

  // the device data the application carries: model and an id kept for this page (W02)
  document.querySelectorAll('input[data-device]').forEach(function (input) {
    if (input.dataset.device === 'model') {
      input.value = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || 'H5';
      return;
    }
    var id = localStorage.getItem('wolai.device_id');
    if (!id) { id = 'h5-' + Math.random().toString(36).slice(2, 12); localStorage.setItem('wolai.device_id', id); }
    input.value = id;
  });
  var credit = document.getElementById('credit');
  if (credit) submitted(credit, values, next(credit, '申请已提交。'));

  var contacts = document.getElementById('contacts');
  if (contacts) submitted(contacts, function (form) {
    var list = [];
    form.querySelectorAll('[data-contact]').forEach(function (set) {
      var one = values(set);
      if (one.name || one.phone) list.push(one);
    });
    return { contacts: list };
  }, next(contacts, '联系人已保存。'));
})();
