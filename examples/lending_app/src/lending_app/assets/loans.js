/* The loans page: the user's loans with their repay buttons, and the 隐私中心 button. */
(function () {
  'use strict';
  var list = document.getElementById('loans');
  var message = document.getElementById('message');
  function show(text, ok) { message.textContent = text; message.style.color = ok ? '#080' : '#b00'; }
  async function call(method, url) {
    var answer = await fetch(url, { method: method, credentials: 'same-origin' });
    var data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    return { ok: answer.ok, data: data };
  }
  function detail(data) { return typeof data.detail === 'string' ? data.detail : '操作未成功，请稍后重试。'; }
  function item(loan) {
    var li = document.createElement('li');
    li.dataset.loan = loan.id;
    var text = document.createElement('span');
    text.textContent = loan.amount + '元 · ' + loan.term_months + '个月';
    var state = document.createElement('strong');
    state.className = 'loan-status';
    state.textContent = loan.status_label;
    li.append(text, state);
    if (loan.status === 'outstanding') {
      var pay = document.createElement('button');
      pay.type = 'button';
      pay.className = 'repay';
      pay.textContent = '还款';
      pay.addEventListener('click', async function () {
        var result = await call('POST', '/api/loans/' + loan.id + '/repay');
        if (!result.ok) { show(detail(result.data)); return; }
        show('还款成功，该笔借款已结清。', true);
        load();
      });
      li.append(pay);
    }
    return li;
  }
  async function load() {
    var result = await call('GET', '/api/loans');
    list.replaceChildren();
    if (!result.ok) {
      var refused = document.createElement('li');
      refused.className = 'refused';
      refused.textContent = result.data && result.data.detail ? detail(result.data) : '请先登录。';
      list.append(refused);
      return;
    }
    if (!result.data.length) {
      var none = document.createElement('li');
      none.textContent = '暂无借款。';
      list.append(none);
    }
    result.data.forEach(function (loan) { list.append(item(loan)); });
  }
  document.getElementById('privacy-center').addEventListener('click', async function () {
    var result = await call('POST', '/api/privacy-center');
    if (!result.ok) { show(detail(result.data)); return; }
    window.location.href = result.data.url;
  });
  load();
})();
