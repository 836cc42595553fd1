import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseLanguage, detectLanguage } from '../../src/dialogue/language.ts';

const FIVE = ['en', 'de', 'zh', 'fr', 'es'];

/** Short shopper messages, the set the detector was chosen on (see src/dialogue/language.ts). */
const SHOPPER_MESSAGES: Record<string, string[]> = {
  en: ['where is my parcel', 'hi', 'thanks a lot!', 'cancel my order pls', 'I want a refund', 'how long does shipping take', 'do u ship to canada', 'my package arrived broken', 'can I pay with paypal', 'forgot my password', 'talk to a human', 'bye', 'this is ridiculous, worst shop ever', 'change delivery address', 'invoice for order 1234', 'is there a fee to cancel', 'how do i return shoes', 'newsletter unsubscribe', 'ok thanks bye', 'what payment do you take'],
  de: ['wo ist mein Paket', 'hallo', 'danke schön', 'Bestellung stornieren bitte', 'ich will mein Geld zurück', 'wie lange dauert der Versand', 'liefert ihr nach Österreich', 'Paket kam kaputt an', 'kann ich mit PayPal zahlen', 'Passwort vergessen', 'mit einem Menschen sprechen', 'tschüss', 'unverschämt, schlechtester Shop', 'Lieferadresse ändern', 'Rechnung für Bestellung 1234', 'kostet stornieren was', 'wie schicke ich Schuhe zurück', 'Newsletter abbestellen', 'ok danke ciao', 'welche Zahlungsarten gibt es'],
  fr: ['où est mon colis', 'bonjour', 'merci beaucoup', 'annuler ma commande svp', 'je veux être remboursé', 'combien de temps pour la livraison', 'vous livrez au canada ?', 'colis arrivé cassé', 'je peux payer avec paypal', 'mot de passe oublié', 'parler à un humain', 'au revoir', "c'est inadmissible, pire boutique", 'changer adresse de livraison', 'facture de la commande 1234', "y a-t-il des frais d'annulation", 'comment retourner des chaussures', 'se désabonner de la newsletter', 'ok merci salut', 'quels moyens de paiement'],
  es: ['dónde está mi paquete', 'hola', 'muchas gracias', 'cancelar mi pedido porfa', 'quiero un reembolso', 'cuánto tarda el envío', 'envían a méxico?', 'el paquete llegó roto', 'puedo pagar con paypal', 'olvidé mi contraseña', 'hablar con una persona', 'adiós', 'esto es una vergüenza, la peor tienda', 'cambiar dirección de envío', 'factura del pedido 1234', 'cobran por cancelar', 'cómo devuelvo unos zapatos', 'darme de baja del boletín', 'vale gracias chao', 'qué formas de pago aceptan'],
  zh: ['我的包裹在哪', '你好', '谢谢', '取消订单', '我要退款', '快递要多久', '寄加拿大吗', '包裹坏了', '可以用paypal付款吗', '忘记密码了', '转人工', '再见', '太差劲了', '改收货地址', '订单1234的发票', '取消要收费吗', '鞋子怎么退', '退订邮件', '好的谢谢', '支持哪些付款方式'],
};

describe('language detection', () => {
  test('reads at least 95% of short shopper messages right, and is never wrong when it says it is reliable', () => {
    let right = 0;
    let total = 0;
    for (const [language, messages] of Object.entries(SHOPPER_MESSAGES)) {
      for (const message of messages) {
        const detection = detectLanguage(message, FIVE);
        total += 1;
        if ((detection?.language ?? 'en') === language) right += 1;
        if (detection?.reliable) assert.equal(detection.language, language, message);
      }
    }
    assert.ok(right / total >= 0.95, `${right} of ${total}`);
  });

  test('Chinese is told by its script; Japanese kana is not Chinese', () => {
    assert.deepEqual(detectLanguage('退款', FIVE), { language: 'zh', reliable: true });
    assert.notEqual(detectLanguage('注文はどこですか', FIVE)?.language, 'zh');
  });

  test('only the candidate languages are answered; text without letters says nothing', () => {
    assert.equal(detectLanguage('Où est ma commande ?', ['en', 'de'])?.language === 'fr', false);
    assert.equal(detectLanguage('1234 ??', FIVE), null);
    assert.equal(detectLanguage('👍', FIVE), null);
    assert.equal(detectLanguage('我的订单', ['en', 'de']), null);
  });
});

describe('chooseLanguage', () => {
  const none = async () => [] as string[];
  const unused = async (): Promise<string[]> => assert.fail('earlier messages must not be read');

  test('the language the client sent comes first', async () => {
    assert.deepEqual(await chooseLanguage({ sent: 'de-AT', text: 'where is my order', supported: FIVE, earlierTexts: unused }), { language: 'de-AT', source: 'client' });
  });

  test('then a reliable reading of the message itself', async () => {
    assert.deepEqual(await chooseLanguage({ text: 'Où est ma commande ?', supported: FIVE, earlierTexts: unused }), { language: 'fr', source: 'text' });
    assert.deepEqual(await chooseLanguage({ text: '我的订单到哪了', supported: FIVE, earlierTexts: unused }), { language: 'zh', source: 'text' });
  });

  test('then the conversation\'s earlier messages, for a message that does not tell', async () => {
    const earlier = async () => ['hola', 'quiero devolver unas zapatillas que compré'];
    assert.deepEqual(await chooseLanguage({ text: 'ok', supported: FIVE, earlierTexts: earlier }), { language: 'es', source: 'conversation' });
  });

  test('then an unsure reading, then the first supported language', async () => {
    assert.equal((await chooseLanguage({ text: 'danke', supported: FIVE, earlierTexts: none })).language, 'de');
    assert.deepEqual(await chooseLanguage({ text: '👍', supported: FIVE, earlierTexts: none }), { language: 'en', source: 'default' });
  });
});
