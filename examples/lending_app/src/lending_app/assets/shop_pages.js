/* The 赢商城 order form and the customer-service page: JSON to the app's /api; a refusal
   names the separate consents still missing (the ones ticked on the page, via app.js). */
(function () {
  'use strict';
  var message = document.getElementById('message');
  function show(text, ok) { message.textContent = text; message.style.color = ok ? '#080' : '#b00'; }
  function values(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.value.trim() === '') return;
      body[el.name] = el.hasAttribute('data-int') ? parseInt(el.value, 10) : el.value.trim();
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
    return legend ? legend.textContent.replace('单独同意：', '') : '';
  }
  function refusal(data) {
    var text = typeof data.detail === 'string' ? data.detail : '请检查填写的内容。';
    var missing = (data.consents || []).map(consentLabel).filter(Boolean);
    if (missing.length) text += '（请先勾选同意：' + missing.join('；') + '）';
    return text;
  }
  function submitted(form, handle) {
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var button = form.querySelector('button');
      button.disabled = true;
      try { await handle(values(form)); } finally { button.disabled = false; }
    });
  }

  var order = document.getElementById('order');
  if (order) submitted(order, async function (body) {
    var result = await post(order.dataset.post, body);
    if (!result.ok) { show(refusal(result.data)); return; }
    show('下单成功（订单号 ' + result.data.order_id + '）。收货信息已按上述说明提供给供应商及平台内商家。', true);
  });

  var verify = document.getElementById('verify');
  if (!verify) return;
  var chat = { id: null, mobile: null };
  var log = document.getElementById('chat');
  function say(text, mine) {
    var li = document.createElement('li');
    if (mine) li.className = 'mine';
    li.textContent = text;
    log.append(li);
  }
  submitted(verify, async function (body) {
    var result = await post(verify.dataset.post, body);
    if (!result.ok) { show(refusal(result.data)); return; }
    chat.id = result.data.chat_id;
    chat.mobile = body.mobile;
    document.getElementById('verify-step').hidden = true;
    document.getElementById('chat-step').hidden = false;
    say('身份核实通过，请描述您的问题。', false);
    show('身份核实通过。', true);
  });
  var ask = document.getElementById('say');
  submitted(ask, async function (body) {
    var url = '/api/service/chats/' + encodeURIComponent(chat.id) + '/messages';
    var result = await post(url, { mobile: chat.mobile, text: body.text || '' });
    if (!result.ok) { show(refusal(result.data)); return; }
    say(body.text, true);
    ask.reset();
    show('消息已发送。', true);
  });
  var invoice = document.getElementById('invoice');
  submitted(invoice, async function (body) {
    var url = '/api/service/chats/' + encodeURIComponent(chat.id) + '/paper-invoice';
    var result = await post(url, Object.assign({ mobile: chat.mobile }, body));
    if (!result.ok) { show(refusal(result.data)); return; }
    invoice.reset();
    show('纸质发票申请已提交（申请编号 ' + result.data.invoice_id + '）。', true);
  });
})();
